"""Is a page a privacy policy? :mod:`model` (the shipped classifier, loaded at run time);
:mod:`training` and :mod:`generated` (development only: how the model is trained)."""
