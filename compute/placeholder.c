/* compute/placeholder.c: keeps the library non-empty while modules are listed elsewhere. */
int urlmon_compute_placeholder(void);
int urlmon_compute_placeholder(void)
{
    return 0;
}
