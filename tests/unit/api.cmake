# Unit tests of the API's pure modules (api/route.c, window.c, ptrmap.c, flight.c,
# metrics.c, lcache.c, cors.c, urlpatch.c, chunkline.c). Included by tests/unit/CMakeLists.txt.
foreach(t test_api_route test_api_window test_api_ptrmap test_api_metrics test_api_lcache
    test_api_cors test_api_urlpatch test_api_chunkline)
    urlmon_unit(${t} LIBS urlmon_api_core)
endforeach()
