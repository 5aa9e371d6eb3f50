#include "analytics/erlang.h"

#include <math.h>
#include <stddef.h>

#define MAX_AGENTS 100000

static double erlang_b(int n, double a)
{
	double b = 1.0;
	for (int k = 1; k <= n; k++)
		b = a * b / (k + a * b);
	return b;
}

double kh_erlang_c(int n, double a)
{
	if (a <= 0)
		return 0;
	if (n <= a)
		return 1;
	double b = erlang_b(n, a);
	return n * b / (n - a * (1 - b));
}

double kh_erlang_service_level(int n, double a, double target_s, double aht_s)
{
	if (a <= 0)
		return 1;
	if (n <= a)
		return 0;
	double sl = 1 - kh_erlang_c(n, a) * exp(-(n - a) * target_s / aht_s);
	return sl < 0 ? 0 : sl;
}

const char *kh_erlang_check(const struct kh_erlang_in *in, const char **why)
{
	if (!(in->calls >= 0 && in->calls <= 1e7))
		return *why = "must be from 0 to 10,000,000", "calls";
	if (!(in->interval_s >= 60 && in->interval_s <= 86400))
		return *why = "must be from 60 to 86400 seconds", "interval_s";
	if (!(in->aht_s >= 1 && in->aht_s <= 86400))
		return *why = "must be from 1 to 86400 seconds", "aht_s";
	if (!(in->target_s >= 0 && in->target_s <= 86400))
		return *why = "must be from 0 to 86400 seconds", "target_s";
	if (!(in->target_sl > 0 && in->target_sl < 1))
		return *why = "must be a fraction between 0 and 1, such as 0.8", "target_sl";
	if (!(in->shrinkage >= 0 && in->shrinkage < 1))
		return *why = "must be a fraction from 0 up to (not including) 1, such as 0.3", "shrinkage";
	if (in->calls * in->aht_s / in->interval_s > MAX_AGENTS / 2)
		return *why = "with this handle time needs more than 50,000 agents", "calls";
	return NULL;
}

int kh_erlang_staff(const struct kh_erlang_in *in, struct kh_erlang_out *out)
{
	const char *why;
	if (kh_erlang_check(in, &why))
		return -1;
	double a = in->calls * in->aht_s / in->interval_s;
	out->traffic = a;
	int n = (int)floor(a) + 1;
	if (a <= 0)
		n = 0;
	/* The service level rises with every agent: the first N that reaches the
	 * target is the answer. Erlang B is carried along rather than recomputed. */
	double b = erlang_b(n, a);
	for (; n < MAX_AGENTS; n++) {
		if (n > 0 && n > a) {
			double c = n * b / (n - a * (1 - b));
			double sl = 1 - c * exp(-(n - a) * in->target_s / in->aht_s);
			if (sl >= in->target_sl) {
				out->agents = n;
				out->p_wait = c;
				out->service_level = sl;
				out->asa_s = c * in->aht_s / (n - a);
				out->occupancy = a / n;
				break;
			}
		}
		b = a * b / (n + 1 + a * b);
	}
	if (a <= 0) {
		out->agents = 0;
		out->p_wait = 0;
		out->service_level = 1;
		out->asa_s = 0;
		out->occupancy = 0;
	}
	out->agents_with_shrinkage = (int)ceil(out->agents / (1 - in->shrinkage) - 1e-9);
	return 0;
}
