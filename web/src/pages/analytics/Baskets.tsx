// Cross-sell: association rules over order baskets, and "customers who bought
// this also bought" for a product.
import { useState } from 'preact/hooks';
import { locale } from '../../lib/i18n';
import { ta } from '../../lib/analytics-i18n';
import { AChart } from './AChart';
import { Card, Loaded, int, num, pct, useApi } from './common';

interface P { id: number; name: string }
interface Baskets {
  baskets: number;
  rule_count: number;
  rules: { antecedent: P[]; consequent: P; support: number; confidence: number; lift: number; baskets: number }[];
  also_bought?: { product: P; items: { product: P; together: number; confidence: number; lift: number }[] } | null;
  recommended?: { customer: number; products_bought: number; items: { product: P; confidence: number; lift: number; because: P[] }[] } | null;
}

const SUPPORTS = ['0.001', '0.002', '0.005', '0.01', '0.02'];

export function BasketsPage() {
  const [support, setSupport] = useState('0.002');
  const [product, setProduct] = useState<number | null>(null);
  const [customer, setCustomer] = useState<number | null>(null);
  const q: Record<string, string | number> = { min_support: support, min_confidence: '0.05', limit: 30 };
  if (product) q.product = product;
  if (customer) q.customer = customer;
  const s = useApi<Baskets>('/analytics/baskets', q);
  locale.value;
  return (
    <>
      <div class="an-toolbar">
        <label>
          {ta('an_min_support')}
          <select value={support} onChange={(e) => setSupport((e.target as HTMLSelectElement).value)}>
            {SUPPORTS.map((v) => <option key={v} value={v}>{pct(Number(v), 1)}</option>)}
          </select>
        </label>
      </div>
      <Loaded s={s}>{(d) => <BasketView d={d} onPick={setProduct} product={product} customer={customer} onCustomer={setCustomer} />}</Loaded>
    </>
  );
}

function BasketView({ d, onPick, product, customer, onCustomer }: {
  d: Baskets; onPick: (id: number) => void; product: number | null; customer: number | null; onCustomer: (id: number | null) => void;
}) {
  const names = (ps: P[]) => ps.map((p) => p.name).join(' + ');
  const products = new Map<number, string>();
  for (const r of d.rules) for (const p of [...r.antecedent, r.consequent]) products.set(p.id, p.name);
  return (
    <div class="an-grid">
      <Card title={ta('an_rules')} wide name="rules">
        <p class="an-note">{ta('an_baskets_count', { n: int(d.baskets), rules: int(d.rule_count) })}</p>
        <table class="table table-compact" data-table="rules">
          <thead><tr><th>{ta('an_if_bought')}</th><th>{ta('an_then')}</th><th class="num">{ta('an_support')}</th><th class="num">{ta('an_confidence')}</th><th class="num">{ta('an_lift')}</th></tr></thead>
          <tbody>
            {d.rules.map((r, i) => (
              <tr key={i}>
                <td><button class="btn-link" onClick={() => onPick(r.antecedent[0].id)}>{names(r.antecedent)}</button></td>
                <td>{r.consequent.name}</td>
                <td class="col-percent">{pct(r.support, 2)}</td>
                <td class="col-percent">{pct(r.confidence, 1)}</td>
                <td class="col-integer">{num(r.lift, 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card title={ta('an_also_bought')} wide name="also">
        <label>
          {ta('an_pick_product')}{' '}
          <select value={product ?? ''} onChange={(e) => onPick(Number((e.target as HTMLSelectElement).value))}>
            <option value="">—</option>
            {[...products].map(([id, n]) => <option key={id} value={id}>{n}</option>)}
          </select>
        </label>
        {d.also_bought && (
          <AChart name="also" height={Math.max(160, 28 * d.also_bought.items.length)}
            description={d.also_bought.items.map((i) => `${i.product.name} ${i.together}`).join(', ')}
            option={{
              tooltip: { trigger: 'axis' },
              grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
              xAxis: { type: 'value', name: ta('an_confidence') },
              yAxis: { type: 'category', inverse: true, data: d.also_bought.items.map((i) => i.product.name) },
              series: [{ type: 'bar', data: d.also_bought.items.map((i) => Math.round(i.confidence * 1000) / 10) }],
            }} />
        )}
      </Card>
      <Card title={ta('an_for_customer')} wide name="recommended">
        <form class="an-toolbar" onSubmit={(e) => {
          e.preventDefault();
          const v = Number(((e.target as HTMLFormElement).elements.namedItem('customer') as HTMLInputElement).value);
          onCustomer(Number.isInteger(v) && v > 0 ? v : null);
        }}>
          <label>{ta('an_customer_id')}{' '}
            <input type="number" min="1" step="1" name="customer" defaultValue={customer ? String(customer) : ''} />
          </label>
          <button type="submit" class="btn">{ta('an_recommend')}</button>
        </form>
        {customer && d.recommended === null && <p class="muted">{ta('an_bought_nothing')}</p>}
        {d.recommended && (
          <>
            <p class="an-note">{ta('an_products_bought', { n: int(d.recommended.products_bought) })}</p>
            <table class="table table-compact" data-table="recommended">
              <thead><tr><th>{ta('an_then')}</th><th>{ta('an_because')}</th><th class="num">{ta('an_confidence')}</th><th class="num">{ta('an_lift')}</th></tr></thead>
              <tbody>
                {d.recommended.items.map((r) => (
                  <tr key={r.product.id}><td>{r.product.name}</td><td>{names(r.because)}</td><td class="col-percent">{pct(r.confidence, 1)}</td><td class="col-integer">{num(r.lift, 2)}</td></tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Card>
    </div>
  );
}
