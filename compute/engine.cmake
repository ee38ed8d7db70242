# The check engine (compute/checker.h): libcurl multi-socket on libevent loops.
list(APPEND URLMON_ENGINE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/check.c
    ${CMAKE_CURRENT_LIST_DIR}/checker.c
    ${CMAKE_CURRENT_LIST_DIR}/loop.c
    ${CMAKE_CURRENT_LIST_DIR}/transfer.c
    ${CMAKE_CURRENT_LIST_DIR}/classify.c
    ${CMAKE_CURRENT_LIST_DIR}/ssrf.c)
