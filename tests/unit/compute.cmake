# Unit tests of the compute job's pure modules (compute/job.cmake).
foreach(t test_csv test_cli test_stats test_batchsql test_rollup test_spool test_agenda test_urlstate
    test_alertmsg test_partition)
    urlmon_unit(${t} LIBS urlmon_compute)
endforeach()
