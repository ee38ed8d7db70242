# Unit tests of the urlmon command line's pure modules (cli/args.c, cli/output.c).
# Included by tests/unit/CMakeLists.txt.
foreach(t test_urlmon_args test_urlmon_output)
    urlmon_unit(${t} LIBS urlmon_cli_core)
endforeach()
