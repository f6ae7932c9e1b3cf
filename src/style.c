/* style.c: placeholder */
#include "sinspaceInt.h"
