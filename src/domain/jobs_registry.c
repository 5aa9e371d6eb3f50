/* The job kinds and outbox consumers of every module. A module adds its table
 * here, one line each. */
#include "domain/jobs.h"

extern const struct kh_job_kind *const kh_core_jobs[];
extern const struct kh_outbox_consumer *const kh_core_consumers[];
extern const struct kh_job_kind *const kh_sales_jobs[];
extern const struct kh_outbox_consumer *const kh_sales_consumers[];
extern const struct kh_job_kind *const kh_service_jobs[];
extern const struct kh_outbox_consumer *const kh_service_consumers[];
extern const struct kh_job_kind *const kh_import_jobs[];
extern const struct kh_job_kind *const kh_analytics_jobs[];
extern const struct kh_outbox_consumer *const kh_analytics_consumers[];

const struct kh_job_kind *const *const kh_job_modules[] = {
	kh_core_jobs,
	kh_sales_jobs,
	kh_service_jobs,
	kh_import_jobs,
	kh_analytics_jobs,
	NULL,
};

const struct kh_outbox_consumer *const *const kh_consumer_modules[] = {
	kh_core_consumers,
	kh_sales_consumers,
	kh_service_consumers,
	kh_analytics_consumers,
	NULL,
};
