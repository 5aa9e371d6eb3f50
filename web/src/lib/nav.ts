// The menu: entities grouped by who works with them; entities this UI does not know still appear.
import type { Entity } from './meta';
import type { MessageKey } from './messages';
import type { ImportKey } from './import-i18n';
import type { Action } from './permissions';
import { dedupeEntities, importableEntities } from './import';

const NAV: { key: MessageKey; entities: string[] }[] = [
  { key: 'nav_sales', entities: ['accounts', 'contacts', 'leads', 'opportunities', 'quotes'] },
  { key: 'nav_service', entities: ['cases', 'service_followups', 'calls', 'kb_articles'] },
  { key: 'nav_marketing', entities: ['campaigns', 'templates', 'web_forms'] },
  { key: 'nav_commerce', entities: ['orders', 'contracts', 'products', 'price_lists'] },
  { key: 'nav_work', entities: ['activities'] },
  { key: 'nav_analytics', entities: ['surveys', 'survey_responses', 'capability_assessments'] },
  { key: 'nav_admin', entities: ['users', 'agents', 'service_queues', 'sla_policies', 'service_calendars', 'calendar_days', 'care_rules', 'ivr_options', 'pipelines', 'rules'] },
];
/** Entities that are parts of another record and need no menu entry. */
const CHILD_ENTITIES = new Set(['order_lines', 'survey_questions', 'survey_invitations', 'quote_lines', 'price_list_items', 'campaign_members', 'campaign_costs']);

export function navGroups(all: Entity[]): { key: MessageKey; entities: Entity[] }[] {
  const known = new Set(NAV.flatMap((g) => g.entities));
  const byName = new Map(all.map((e) => [e.name, e]));
  const groups = NAV.map((g) => ({ key: g.key, entities: g.entities.map((n) => byName.get(n)).filter(Boolean) as Entity[] }));
  // Entities this UI does not know yet still get a menu entry (under "Work").
  const extra = all.filter((e) => !known.has(e.name) && !CHILD_ENTITIES.has(e.name));
  groups.find((g) => g.key === 'nav_work')!.entities.push(...extra);
  return groups.filter((g) => g.entities.length);
}

/** Getting data in and out (pages/import): a menu group of its own. */
export const DATA_LINKS: [string, ImportKey][] = [['/data/import', 'im_nav_import'], ['/data/duplicates', 'im_nav_dedupe']];

/** The data links the user's role can use: import if some entity may be imported, the duplicate
 *  finder if some entity's duplicates may be merged (a merge edits one record and archives the rest). */
export function dataLinks(all: Entity[], may: (e: Entity, a: Action) => boolean): [string, ImportKey][] {
  const ok: Record<string, boolean> = {
    '/data/import': importableEntities(all).some((e) => may(e, 'import')),
    '/data/duplicates': dedupeEntities(all).some((e) => may(e, 'edit') && may(e, 'delete')),
  };
  return DATA_LINKS.filter(([href]) => ok[href]);
}
