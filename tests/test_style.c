#include <criterion/criterion.h>
Test(style, placeholder) {}
