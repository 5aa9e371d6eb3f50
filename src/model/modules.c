/* The entity tables of all modules, in the order their database tables are
 * created: a module comes after the modules whose entities it refers to. A new
 * module adds its table here, one line, and takes entity codes from its own
 * range so that codes (part of search keys) never collide:
 *   core 1-19, sales and marketing 20-29, service and call center 30-39,
 *   security 40-49, import and export 50-54, analytics 55-59. */
#include "model/entity.h"

extern struct kh_entity *const kh_core_entities[];
extern struct kh_entity *const kh_security_entities[];
extern struct kh_entity *const kh_sales_entities[];
extern struct kh_entity *const kh_service_entities[];
extern struct kh_entity *const kh_analytics_entities[];

struct kh_entity *const *const kh_entity_modules[] = {
	kh_core_entities,
	kh_security_entities,
	kh_sales_entities,
	kh_service_entities,
	kh_analytics_entities,
	NULL,
};
