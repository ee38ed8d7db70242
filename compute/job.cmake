# The compute job around the check engine (see docs/compute.md).
list(APPEND URLMON_JOB_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cli.c
    ${CMAKE_CURRENT_LIST_DIR}/csv.c
    ${CMAKE_CURRENT_LIST_DIR}/stats.c
    ${CMAKE_CURRENT_LIST_DIR}/sqlbuf.c
    ${CMAKE_CURRENT_LIST_DIR}/batchsql.c
    ${CMAKE_CURRENT_LIST_DIR}/rollup.c
    ${CMAKE_CURRENT_LIST_DIR}/spool.c
    ${CMAKE_CURRENT_LIST_DIR}/batchwrite.c
    ${CMAKE_CURRENT_LIST_DIR}/writer.c
    ${CMAKE_CURRENT_LIST_DIR}/runrec.c)
