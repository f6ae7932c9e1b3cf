#include <criterion/criterion.h>
Test(zones, placeholder) { cr_assert(1); }
