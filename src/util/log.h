/* Logging to stderr, one line per event: time, level, message. The level comes
 * from KEHU_LOG (error, warn, info, debug; default info). */
#ifndef KH_LOG_H
#define KH_LOG_H

enum kh_log_level { KH_LOG_ERROR, KH_LOG_WARN, KH_LOG_INFO, KH_LOG_DEBUG };

void kh_log_init(void);
void kh_log(enum kh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kh_error(...) kh_log(KH_LOG_ERROR, __VA_ARGS__)
#define kh_warn(...) kh_log(KH_LOG_WARN, __VA_ARGS__)
#define kh_info(...) kh_log(KH_LOG_INFO, __VA_ARGS__)
#define kh_debug(...) kh_log(KH_LOG_DEBUG, __VA_ARGS__)

#endif
