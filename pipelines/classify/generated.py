"""Training data for the is-this-a-privacy-policy classifier, generated from sentence banks.

Everything is made here (seeded, so the data and the model are reproducible): privacy policies in
several languages; and what a policy link can land on instead: blog and news posts, shop pages,
about pages, terms of service, tag/archive pages that list posts about "privacy", cookie banners,
parked domains and soft-404 pages. ``python -m pipelines.classify.training train`` uses it.
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


# Languages the real labelled pages (../shared/corpus/real-pages) lack: a privacy policy and
# ordinary pages (news, shop, blog) in each, so that the model learns the document, not the script.
MULTI_POLICY = {
    "ru": ["Политика конфиденциальности", "Мы собираем персональные данные, которые вы предоставляете при регистрации.",
           "Мы используем файлы cookie для анализа посещаемости сайта.",
           "Мы не передаем ваши персональные данные третьим лицам без вашего согласия.",
           "Вы имеете право запросить доступ к своим данным и их удаление.",
           "Оператор обрабатывает данные в соответствии с Федеральным законом о персональных данных."],
    "pl": ["Polityka prywatności", "Administratorem Twoich danych osobowych jest nasza spółka.",
           "Przetwarzamy dane osobowe w celu realizacji zamówień i obsługi konta.",
           "Masz prawo dostępu do swoich danych, ich sprostowania oraz usunięcia.",
           "Pliki cookies wykorzystujemy do celów statystycznych.",
           "Dane mogą być przekazywane podmiotom przetwarzającym na nasze zlecenie."],
    "tr": ["Gizlilik Politikası", "Kişisel verileriniz 6698 sayılı KVKK kapsamında işlenmektedir.",
           "Üyelik sırasında adınızı ve e-posta adresinizi topluyoruz.",
           "Çerezler, sitemizin kullanımını analiz etmek için kullanılır.",
           "Kişisel verileriniz izniniz olmadan üçüncü kişilerle paylaşılmaz.",
           "Verilerinizin silinmesini talep etme hakkına sahipsiniz."],
    "ja": ["プライバシーポリシー", "当社は、お客様の個人情報を適切に取り扱います。",
           "お問い合わせの際に氏名とメールアドレスを取得します。",
           "取得した個人情報は、サービスの提供のために利用します。",
           "法令に基づく場合を除き、本人の同意なく第三者に提供しません。",
           "当サイトではアクセス解析のためにクッキーを使用しています。"],
    "zh": ["隐私政策", "我们非常重视您的个人信息和隐私保护。",
           "我们会收集您在注册账户时提供的姓名、手机号码和电子邮件地址。",
           "我们使用Cookie来改善您的浏览体验并进行统计分析。",
           "未经您的同意，我们不会向第三方共享您的个人信息。",
           "您有权访问、更正和删除您的个人信息。"],
    "zh-tw": ["隱私權政策", "本網站重視您的個人資料保護。", "我們蒐集您的姓名與電子郵件地址以提供服務。",
              "除法律規定外，我們不會將您的個人資料提供給第三人。", "您可以隨時要求查詢或刪除您的個人資料。"],
    "ko": ["개인정보처리방침", "회사는 이용자의 개인정보를 중요시하며 개인정보 보호법을 준수합니다.",
           "회원가입 시 이름, 이메일 주소, 휴대전화번호를 수집합니다.",
           "수집한 개인정보는 서비스 제공 목적으로만 이용합니다.",
           "이용자의 동의 없이 개인정보를 제3자에게 제공하지 않습니다.",
           "이용자는 언제든지 자신의 개인정보 열람 및 삭제를 요청할 수 있습니다."],
    "cs": ["Ochrana osobních údajů", "Správcem vašich osobních údajů je naše společnost.",
           "Zpracováváme jméno, e-mailovou adresu a údaje o objednávkách.",
           "Máte právo na přístup k osobním údajům a na jejich výmaz.",
           "Soubory cookies používáme k analýze návštěvnosti."],
    "sv": ["Integritetspolicy", "Vi behandlar dina personuppgifter i enlighet med dataskyddsförordningen.",
           "Vi samlar in namn och e-postadress när du skapar ett konto.",
           "Du har rätt att begära tillgång till och radering av dina personuppgifter.",
           "Vi använder cookies för att analysera trafiken på webbplatsen."],
    "fi": ["Tietosuojaseloste", "Käsittelemme henkilötietojasi tietosuoja-asetuksen mukaisesti.",
           "Keräämme nimesi ja sähköpostiosoitteesi tilauksen yhteydessä.",
           "Sinulla on oikeus tarkastaa ja poistaa omat tietosi.",
           "Käytämme evästeitä sivuston kävijämäärien seurantaan."],
    "hu": ["Adatvédelmi tájékoztató", "Személyes adatait az általános adatvédelmi rendelet szerint kezeljük.",
           "A regisztráció során nevét és e-mail címét gyűjtjük.",
           "Ön jogosult személyes adataihoz hozzáférni és azok törlését kérni.",
           "Sütiket használunk a weboldal látogatottságának méréséhez."],
    "el": ["Πολιτική απορρήτου", "Επεξεργαζόμαστε τα προσωπικά σας δεδομένα σύμφωνα με τον ΓΚΠΔ.",
           "Συλλέγουμε το όνομα και τη διεύθυνση ηλεκτρονικού ταχυδρομείου σας.",
           "Έχετε δικαίωμα πρόσβασης και διαγραφής των δεδομένων σας.",
           "Χρησιμοποιούμε cookies για την ανάλυση της επισκεψιμότητας."],
    "ar": ["سياسة الخصوصية", "نحن نحترم خصوصيتك ونلتزم بحماية بياناتك الشخصية.",
           "نقوم بجمع اسمك وعنوان بريدك الإلكتروني عند التسجيل.",
           "لا نشارك معلوماتك الشخصية مع أطراف ثالثة دون موافقتك.",
           "نستخدم ملفات تعريف الارتباط لتحليل استخدام الموقع."],
}
MULTI_OTHER = {
    "ru": ["Сегодня в городе прошел фестиваль уличной музыки.", "Новая модель смартфона поступит в продажу в сентябре.",
           "Команда одержала победу в финале чемпионата.", "Рецепт борща с говядиной и свеклой.",
           "Цены на жилье выросли на пять процентов за год."],
    "pl": ["Reprezentacja wygrała wczorajszy mecz eliminacyjny.", "Nowa linia tramwajowa zostanie otwarta w maju.",
           "Przepis na domowe pierogi z kapustą.", "Ceny mieszkań w Warszawie znowu wzrosły."],
    "tr": ["Yeni sezonda takım iki transfer yaptı.", "İstanbul'da hafta sonu yağmur bekleniyor.",
           "Ev yapımı baklava tarifi.", "Merkez bankası faiz kararını açıkladı."],
    "ja": ["今日は東京で桜が満開になりました。", "新しいスマートフォンが来月発売されます。",
           "このレシピでは鶏肉と野菜を使います。", "日本代表が決勝戦で勝利しました。", "新幹線の運行状況をお知らせします。"],
    "zh": ["今天北京的天气晴朗，气温升高。", "新款手机将于下个月正式发布。", "这道菜需要鸡肉、土豆和辣椒。",
           "国家队在决赛中获得了冠军。", "本文介绍了城市交通的发展历史。"],
    "zh-tw": ["今天台北下大雨，請注意交通安全。", "這家餐廳的牛肉麵非常有名。", "新的捷運路線將在明年通車。"],
    "ko": ["오늘 서울의 날씨는 맑고 따뜻합니다.", "새로운 스마트폰이 다음 달에 출시됩니다.",
           "이 요리에는 닭고기와 채소가 들어갑니다.", "대표팀이 결승전에서 승리했습니다."],
    "cs": ["Včera zvítězil náš tým ve finále turnaje.", "Nová tramvajová trať bude otevřena v květnu.",
           "Recept na svíčkovou na smetaně."],
    "sv": ["Laget vann matchen med tre mål mot ett.", "Nya bostäder byggs i centrala Stockholm.",
           "Recept på kanelbullar."],
    "fi": ["Joukkue voitti ottelun maalein kolme yksi.", "Helsingissä sataa lunta viikonloppuna.",
           "Resepti: karjalanpiirakat."],
    "hu": ["A csapat megnyerte a döntőt.", "Budapesten hétvégén esőre lehet számítani.",
           "Recept: gulyásleves marhahússal."],
    "el": ["Η ομάδα κέρδισε τον τελικό.", "Νέα γραμμή του μετρό ανοίγει τον Μάιο.", "Συνταγή για μουσακά."],
    "ar": ["فاز الفريق في المباراة النهائية.", "من المتوقع هطول أمطار غزيرة في نهاية الأسبوع.",
           "وصفة الكبسة باللحم والأرز."],
}
# What the generated kinds are, for the five-way classifier.
GENERATED_KIND = {"terms": "terms", "cookie_banner": "other"}

# Other titles the same document goes by (the model reads the title and first heading as a
# name: a language's policies must not all be called alike).
MULTI_TITLES = {
    "ru": ["Политика конфиденциальности", "Политика обработки персональных данных",
           "Обработка персональных данных"],
    "pl": ["Polityka prywatności", "Polityka prywatności i plików cookies", "Ochrona danych osobowych"],
    "tr": ["Gizlilik Politikası", "KVKK Aydınlatma Metni", "Kişisel Verilerin Korunması"],
    "ja": ["プライバシーポリシー", "個人情報保護方針", "個人情報の取り扱い", "プライバシーに関する方針"],
    "zh": ["隐私政策", "隐私声明", "个人信息保护政策", "隐私保护指引"],
    "zh-tw": ["隱私權政策", "隱私權聲明", "個人資料保護政策"],
    "ko": ["개인정보처리방침", "개인정보 처리방침", "개인정보 보호정책"],
    "cs": ["Zásady ochrany osobních údajů", "Ochrana osobních údajů", "Zpracování osobních údajů"],
    "sv": ["Integritetspolicy", "Personuppgiftspolicy", "Behandling av personuppgifter"],
    "fi": ["Tietosuojaseloste", "Tietosuojakäytäntö", "Tietosuojailmoitus"],
    "hu": ["Adatvédelmi tájékoztató", "Adatkezelési tájékoztató", "Adatvédelmi nyilatkozat"],
    "el": ["Πολιτική απορρήτου", "Προστασία προσωπικών δεδομένων"],
    "ar": ["سياسة الخصوصية", "حماية البيانات الشخصية"],
}


def generate_labelled(n: int = 1600, seed: int = 2) -> list[tuple[str, str, str]]:
    """(text, kind, language) documents: the generated policies of the seven sentence-bank
    languages and of MULTI_POLICY's, and what a policy link lands on instead in the same
    languages. Kinds are those of :data:`pipelines.classify.model.KINDS`."""
    rng = random.Random(seed)
    docs: list[tuple[str, str, str]] = []
    base_langs = [lang for lang in POLICY if lang != "en"]
    multi = list(MULTI_POLICY)
    for i in range(n // 2):
        if i % 2:
            lang = rng.choice(base_langs)
            text = _doc(rng, POLICY[lang], rng.randint(4, 25))
        else:
            lang = rng.choice(multi)
            bank = MULTI_POLICY[lang]
            title = rng.choice(MULTI_TITLES.get(lang, [bank[0]]))
            text = ("# " if rng.random() < 0.5 else "") + title + "\n\n" + \
                _doc(rng, bank[1:], rng.randint(3, 12))
        docs.append((text, "privacy", lang))
        if i % 2:
            kind = rng.choice(list(OTHER))
            n_sent = rng.randint(1, 6) if kind in ("cookie_banner", "parked", "soft404", "tag") \
                else rng.randint(3, 20)
            docs.append((_doc(rng, OTHER[kind], n_sent), GENERATED_KIND.get(kind, "other"), "en"))
        else:
            lang = rng.choice(multi)
            text = _doc(rng, MULTI_OTHER[lang], rng.randint(3, 15))
            if rng.random() < 0.5:  # its headline as a heading, as policies have theirs
                text = "# " + text
            if rng.random() < 0.3:  # a news story that mentions the privacy word of its language
                text += "\n\n" + MULTI_POLICY[lang][0]
            docs.append((text, "other", lang))
    rng.shuffle(docs)
    return docs
