"""Training data for the is-this-a-privacy-policy classifier, generated from sentence banks.

Everything is made here (seeded, so the data and the model are reproducible): privacy policies in
several languages; and what a policy link can land on instead: blog and news posts, shop pages,
about pages, terms of service, tag/archive pages that list posts about "privacy", cookie banners,
parked domains and soft-404 pages. ``python -m pipelines.policy_classifier train`` uses it.
"""

from __future__ import annotations

import random

POLICY = {
    "en": [
        "This privacy policy explains how we collect, use and disclose your personal information.",
        "We collect information you provide when you create an account, such as your name and email address.",
        "We automatically collect your IP address, browser type and the pages you visit.",
        "We use cookies and similar technologies to remember your preferences and measure traffic.",
        "We may share your personal data with service providers who process it on our behalf.",
        "We do not sell your personal information to third parties.",
        "You may request access to, correction of, or deletion of your personal data.",
        "We retain your information for as long as your account is active or as needed to provide services.",
        "Our services are not directed to children under 13 and we do not knowingly collect their data.",
        "We use reasonable security measures to protect your information from unauthorized access.",
        "If you have questions about this policy, please contact our data protection officer.",
        "We may update this privacy policy from time to time and will post the revised version here.",
        "Your information may be transferred to and processed in countries other than your own.",
        "You can opt out of receiving marketing emails by following the unsubscribe link.",
        "Third-party advertisers may use cookies to show you interest-based advertising.",
        "We use Google Analytics to understand how visitors use our website.",
        "By using our website you consent to the collection and use of information as described in this policy.",
        "We may disclose information when required by law or to protect our rights.",
        "Residents of California have additional rights under the CCPA.",
        "If you are in the European Economic Area, you have rights under the GDPR, including the right to object.",
        "Personally identifiable information is used to process your orders and respond to requests.",
        "Log files record information such as referring pages, exit pages and date and time stamps.",
        "Web beacons and pixel tags help us measure the effectiveness of our emails.",
        "You may disable cookies in your browser settings, but some features may not work.",
        "We keep payment information only as long as needed to complete the transaction.",
        "The legal basis for processing is your consent, a contract or our legitimate interests.",
        "You have the right to lodge a complaint with a supervisory authority.",
        "We will notify you of any material changes to this privacy statement.",
        "Information collected through our mobile app may include device identifiers and location data.",
        "We share aggregated, non-personal information with our partners.",
    ],
    "de": [
        "Diese Datenschutzerklärung informiert Sie über die Verarbeitung Ihrer personenbezogenen Daten.",
        "Wir erheben Daten, wenn Sie ein Kundenkonto anlegen oder uns kontaktieren.",
        "Sie haben das Recht auf Auskunft, Berichtigung und Löschung Ihrer Daten.",
        "Wir verwenden Cookies, um unsere Website nutzerfreundlich zu gestalten.",
        "Ihre Daten werden nicht ohne Ihre Einwilligung an Dritte weitergegeben.",
        "Verantwortlicher im Sinne der Datenschutz-Grundverordnung ist die Betreiberin dieser Website.",
        "Sie können Ihre Einwilligung jederzeit mit Wirkung für die Zukunft widerrufen.",
        "Wir speichern Ihre Daten nur so lange, wie es für die Zwecke erforderlich ist.",
    ],
    "fr": [
        "Cette politique de confidentialité décrit comment nous collectons et utilisons vos données personnelles.",
        "Nous utilisons des cookies pour améliorer votre expérience sur notre site.",
        "Vous disposez d'un droit d'accès, de rectification et de suppression de vos données.",
        "Vos données ne sont jamais vendues à des tiers.",
        "Conformément au RGPD, vous pouvez vous opposer au traitement de vos données.",
        "Nous conservons vos informations pendant la durée nécessaire à la fourniture du service.",
    ],
    "es": [
        "Esta política de privacidad explica cómo recopilamos y utilizamos sus datos personales.",
        "Utilizamos cookies para mejorar su experiencia de navegación.",
        "Usted tiene derecho a acceder, rectificar y suprimir sus datos.",
        "No compartimos su información personal con terceros sin su consentimiento.",
        "Conservamos sus datos durante el tiempo necesario para prestar el servicio.",
    ],
    "it": [
        "La presente informativa sulla privacy descrive come trattiamo i tuoi dati personali.",
        "Hai il diritto di accedere ai tuoi dati e di chiederne la cancellazione.",
        "Utilizziamo i cookie per migliorare la tua esperienza.",
    ],
    "nl": [
        "Deze privacyverklaring beschrijft hoe wij uw persoonsgegevens verwerken.",
        "U heeft het recht om uw gegevens in te zien, te corrigeren of te verwijderen.",
    ],
    "pt": [
        "Esta política de privacidade descreve como tratamos os seus dados pessoais.",
        "Você pode solicitar o acesso, a correção ou a exclusão dos seus dados.",
    ],
}
POLICY_HEADINGS = ["Privacy Policy", "Information we collect", "How we use information", "Cookies",
                   "Your rights", "Data retention", "Contact us", "Children's privacy", "Security",
                   "Datenschutzerklärung", "Politique de confidentialité", "Política de privacidad",
                   "Sharing of information", "Changes to this policy"]

OTHER = {
    "blog": [
        "Last weekend I finally tried the new ramen place downtown and it did not disappoint.",
        "Here are ten tips for getting better photos with your phone camera.",
        "Our team spent the summer rebuilding the search feature from scratch.",
        "The trail climbs steadily for two miles before opening onto the ridge.",
        "I have been learning to bake sourdough bread and the results are improving.",
        "In this post we compare three static site generators for small projects.",
        "Leave a comment below and tell us what you think.",
        "Posted by admin in Uncategorized with 3 comments.",
        "Read more about our journey in the next installment of this series.",
        "The conference keynote focused on the future of open source funding.",
    ],
    "shop": [
        "Add to cart and enjoy free shipping on orders over fifty dollars.",
        "This stainless steel water bottle keeps drinks cold for 24 hours.",
        "Customer reviews: 4.5 out of 5 stars based on 212 ratings.",
        "Choose your size and color from the options below.",
        "Sale ends Sunday: save twenty percent on all outdoor furniture.",
        "In stock. Ships within two business days.",
        "Product details: cotton blend, machine washable, imported.",
    ],
    "news": [
        "The city council voted on Tuesday to approve the new transit budget.",
        "Shares rose three percent in early trading after the earnings report.",
        "The storm is expected to reach the coast by Thursday evening.",
        "Officials said the investigation is ongoing and declined to comment further.",
        "The team won its third straight game with a late goal in extra time.",
        "A new study suggests regular walking improves sleep quality.",
    ],
    "about": [
        "We are a small team of designers and engineers based in Portland.",
        "Founded in 2009, our company helps local businesses get online.",
        "Meet our founders and learn about our mission.",
        "Contact us by phone or visit our office during business hours.",
        "We believe great software should be simple and accessible to everyone.",
    ],
    "terms": [
        "These terms of service govern your use of our website and services.",
        "You agree not to use the service for any unlawful purpose.",
        "We may terminate your account if you violate these terms.",
        "The service is provided as is without warranties of any kind.",
        "Any disputes will be resolved by binding arbitration.",
        "Your use of the service is also governed by our privacy policy.",
        "We reserve the right to modify these terms at any time.",
    ],
    "tag": [
        "Posts tagged privacy",
        "Why I stopped worrying about online privacy - 5 comments",
        "Privacy tips for your new phone - Read more",
        "Older posts",
        "Archive for the privacy category",
        "Filed under privacy, security, tech news",
        "A quick review of privacy-focused browsers - Read more",
    ],
    "cookie_banner": [
        "This website uses cookies to ensure you get the best experience.",
        "Accept all cookies",
        "Manage preferences",
        "Learn more",
    ],
    "parked": [
        "This domain is for sale.",
        "Buy this domain today.",
        "The domain name may be for sale. Click here to inquire.",
        "Related searches: insurance, credit cards, online degrees",
        "This page is provided courtesy of the domain parking service.",
        "Sponsored listings",
    ],
    "soft404": [
        "Page not found.",
        "Sorry, the page you are looking for does not exist.",
        "Error 404. The requested URL was not found on this server.",
        "It looks like nothing was found at this location. Maybe try a search?",
        "Go back to the homepage.",
    ],
}
BOILERPLATE = ["Home", "About", "Contact", "Privacy", "Terms", "Blog", "Shop", "Login", "Sign up",
               "Copyright 2016 All rights reserved", "Follow us on Twitter", "Subscribe to our newsletter"]


def _doc(rng: random.Random, sentences: list[str], n: int, headings: list[str] | None = None) -> str:
    parts = rng.sample(BOILERPLATE, rng.randint(0, 5))
    picked = [rng.choice(sentences) for _ in range(n)]
    for i, s in enumerate(picked):
        if headings and rng.random() < 0.25:
            parts.append(rng.choice(headings))
        parts.append(s)
    parts += rng.sample(BOILERPLATE, rng.randint(0, 4))
    return "\n\n".join(parts)


def generate(n: int = 2400, seed: int = 1) -> list[tuple[str, int]]:
    """n labelled documents (text, 1 = privacy policy), half of each class."""
    rng = random.Random(seed)
    docs: list[tuple[str, int]] = []
    langs = list(POLICY)
    kinds = list(OTHER)
    for i in range(n // 2):
        lang = "en" if rng.random() < 0.6 else rng.choice(langs)
        bank = POLICY[lang] + (POLICY["en"] if rng.random() < 0.2 else [])
        docs.append((_doc(rng, bank, rng.randint(4, 25), POLICY_HEADINGS), 1))
        kind = rng.choice(kinds)
        n_sent = rng.randint(1, 6) if kind in ("cookie_banner", "parked", "soft404", "tag") else rng.randint(3, 20)
        text = _doc(rng, OTHER[kind], n_sent)
        if kind in ("terms", "blog") and rng.random() < 0.3:  # hard negatives mention privacy
            text += "\n\n" + rng.choice(POLICY["en"])
        docs.append((text, 0))
    rng.shuffle(docs)
    return docs
