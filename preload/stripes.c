/* stripes.c: hands each thread its stripe (stripes.h), round-robin. */
#include "stripes.h"

static atomic_int next_stripe;

int mt_stripe_assign(void)
{
    mt_self.stripe_id = 1 + atomic_fetch_add_explicit(&next_stripe, 1, memory_order_relaxed) %
                   MT_STRIPES;
    return mt_self.stripe_id;
}
