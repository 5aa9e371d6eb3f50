/* Erlang C: staffing a queue of calls.
 *
 * For a forecast of `calls` arriving in `interval_s` seconds, each handled in
 * `aht_s` seconds on average, the traffic is A = calls x aht / interval
 * Erlangs. With N agents (N > A) the probability that a call waits is
 *
 *   C(N, A) = N B / (N - A (1 - B)),  B = Erlang B, by B(0) = 1,
 *             B(k) = A B(k-1) / (k + A B(k-1))   (stable for any N),
 *
 * the service level (answered within target_s) is 1 - C e^{-(N - A) target/aht},
 * the average speed of answer is C aht / (N - A), and the occupancy A / N.
 * The agents needed are the fewest N that reach target_sl; with shrinkage s
 * (breaks, training, absence) ceil(N / (1 - s)) must be rostered.
 *
 * A pure kernel: numbers in, numbers out. */
#ifndef KH_ERLANG_H
#define KH_ERLANG_H

struct kh_erlang_in {
	double calls, interval_s, aht_s, target_s, target_sl, shrinkage;
};

struct kh_erlang_out {
	double traffic; /* A, Erlangs */
	int agents, agents_with_shrinkage;
	double p_wait, service_level, asa_s, occupancy;
};

/* Probability of waiting with n agents for traffic a (1 when n <= a). */
double kh_erlang_c(int n, double a);
/* Service level with n agents (0 when n <= a). */
double kh_erlang_service_level(int n, double a, double target_s, double aht_s);

/* Fills out for the smallest staffing that reaches the target. Returns 0, or
 * -1 when the input is out of range (see kh_erlang_check). */
int kh_erlang_staff(const struct kh_erlang_in *in, struct kh_erlang_out *out);

/* NULL if the input is usable, else the name of the first parameter at fault
 * and, in *why, what is wrong with it. */
const char *kh_erlang_check(const struct kh_erlang_in *in, const char **why);

#endif
