/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: a shared object that is not a vmboard plugin (no entry symbol). */
__attribute__((visibility("default"))) int not_a_plugin(void);
int not_a_plugin(void)
{
    return 42;
}
