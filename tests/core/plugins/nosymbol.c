/* Test fixture: a shared object that is not a driftwatch plugin (no driftwatch_plugin symbol). */
int not_a_plugin(void);
int not_a_plugin(void)
{
    return 42;
}
