# Unit tests of the check engine's pure modules (compute/ssrf.c, compute/classify.c).
urlmon_unit(test_ssrf LIBS urlmon_compute)
urlmon_unit(test_classify LIBS urlmon_compute)
