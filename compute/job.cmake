# The compute job around the check engine (see docs/compute.md).
list(APPEND URLMON_JOB_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cli.c
    ${CMAKE_CURRENT_LIST_DIR}/csv.c
    ${CMAKE_CURRENT_LIST_DIR}/stats.c
    ${CMAKE_CURRENT_LIST_DIR}/sqlbuf.c
    ${CMAKE_CURRENT_LIST_DIR}/batchsql.c
    ${CMAKE_CURRENT_LIST_DIR}/rollup.c
    ${CMAKE_CURRENT_LIST_DIR}/spool.c
    ${CMAKE_CURRENT_LIST_DIR}/urlstate.c
    ${CMAKE_CURRENT_LIST_DIR}/alertwrite.c
    ${CMAKE_CURRENT_LIST_DIR}/batchwrite.c
    ${CMAKE_CURRENT_LIST_DIR}/alertmsg.c
    ${CMAKE_CURRENT_LIST_DIR}/outbox.c
    ${CMAKE_CURRENT_LIST_DIR}/delivery.c
    ${CMAKE_CURRENT_LIST_DIR}/urlstore.c
    ${CMAKE_CURRENT_LIST_DIR}/loader.c
    ${CMAKE_CURRENT_LIST_DIR}/drain.c
    ${CMAKE_CURRENT_LIST_DIR}/source.c
    ${CMAKE_CURRENT_LIST_DIR}/writer.c
    ${CMAKE_CURRENT_LIST_DIR}/runlock.c
    ${CMAKE_CURRENT_LIST_DIR}/runrec.c
    ${CMAKE_CURRENT_LIST_DIR}/retention.c
    ${CMAKE_CURRENT_LIST_DIR}/watch.c
    ${CMAKE_CURRENT_LIST_DIR}/run.c
    ${CMAKE_CURRENT_LIST_DIR}/agenda.c
    ${CMAKE_CURRENT_LIST_DIR}/urlset.c
    ${CMAKE_CURRENT_LIST_DIR}/service.c)
