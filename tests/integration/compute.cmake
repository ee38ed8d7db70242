# Integration tests of the compute job (compute/job.cmake) against the private stack,
# the target server and the urlmon-compute binary.
urlmon_itest(test_compute_db)
target_link_libraries(test_compute_db PRIVATE urlmon_compute)

foreach(t compute_run compute_load compute_queue compute_concurrent compute_spool compute_scale compute_signals
        compute_slots compute_due compute_service compute_service_lease compute_service_outage
        compute_partitions)
    urlmon_script_test(${t} bash ${CMAKE_CURRENT_SOURCE_DIR}/${t}.sh)
endforeach()

# DB_TLS against a second MariaDB that serves TLS with a certificate the test makes.
urlmon_script_test(db_tls bash ${CMAKE_CURRENT_SOURCE_DIR}/db_tls.sh)
