// Quotes: the list, the editor (lines priced from the price list, discounts
// and tax with the totals the server keeps, revisions, printing, acceptance
// into an order) and a price list's items.
import { useEffect, useState } from 'preact/hooks';
import { api, getToken, type ListPage, type Rec } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { formatMoney, parseMoney } from '../../lib/format';
import { navigate } from '../../lib/router';
import { quoteLine } from '../../lib/sales';
import { senum, st } from '../../lib/sales-i18n';
import { ErrorBox, Link, Loading, errorText, toast } from '../../components/ui';

export function QuotesPage() {
  const [quotes, setQuotes] = useState<Rec[] | null>(null);
  const [accounts, setAccounts] = useState<Rec[]>([]);
  const [lists, setLists] = useState<Rec[]>([]);
  const [name, setName] = useState('');
  const [account, setAccount] = useState('');
  const [list, setList] = useState('');
  const l = locale.value;
  useEffect(() => {
    document.title = `${st('s_quotes')} · Kehu`;
    api.get<ListPage>('/quotes', { limit: 100 }).then((p) => setQuotes(p.data), (e) => toast(errorText(e), 'error'));
    api.get<ListPage>('/accounts', { limit: 200, sort: 'name' }).then((p) => setAccounts(p.data), () => {});
    api.get<ListPage>('/price_lists', { limit: 100, active: true }).then((p) => setLists(p.data), () => {});
  }, []);
  async function create(e: Event) {
    e.preventDefault();
    try {
      const q = await api.post<Rec>('/quotes', { name, account_id: account ? Number(account) : undefined, price_list_id: list ? Number(list) : undefined });
      navigate(`/sales/quotes/${q.id}`);
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  if (!quotes) return <Loading />;
  return (
    <section class="page sales-quotes" aria-labelledby="page-title">
      <h1 id="page-title">{st('s_quotes')}</h1>
      <form class="card form new-quote" onSubmit={create}>
        <h2 class="card-title">{st('s_new_quote')}</h2>
        <label class="field">{st('s_quotes')}<input id="nq-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
        <label class="field">{l === 'zh-CN' ? '客户' : 'Account'}
          <select id="nq-account" value={account} onChange={(e) => setAccount((e.target as HTMLSelectElement).value)}>
            <option value="">—</option>{accounts.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
          </select>
        </label>
        <label class="field">{st('s_price_lists')}
          <select id="nq-list" value={list} onChange={(e) => setList((e.target as HTMLSelectElement).value)}>
            <option value="">—</option>{lists.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.currency})</option>)}
          </select>
        </label>
        <button class="btn btn-primary">{st('s_new_quote')}</button>
      </form>
      {lists.length > 0 && (
        <p class="price-lists">{st('s_price_lists')}: {lists.map((p) => <Link key={p.id} class="btn btn-sm btn-ghost" href={`/sales/price-lists/${p.id}`}>{p.name}</Link>)}</p>
      )}
      <div class="table-wrap card">
        <table class="table">
          <tbody>
            {quotes.map((q) => (
              <tr key={q.id}>
                <td><Link href={`/sales/quotes/${q.id}`}>{q.quote_number}</Link></td><td>{q.name}</td>
                <td><span class="badge">{senum(q.status)}</span></td><td class="num">{formatMoney(q.total, q.currency, l)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

async function download(path: string, name: string) {
  const res = await fetch(`/api/v1${path}`, { headers: { authorization: `Bearer ${getToken()}` } });
  if (!res.ok) throw new Error((await res.json().catch(() => null))?.error?.message ?? res.statusText);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function QuotePage({ id }: { id: number }) {
  const [q, setQ] = useState<Rec | null>(null);
  const [lines, setLines] = useState<Rec[]>([]);
  const [products, setProducts] = useState<Rec[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [line, setLine] = useState({ product: '', quantity: '1', price: '', discount: '0', tax: '13' });
  const l = locale.value;
  async function load() {
    try {
      const [qq, ll] = await Promise.all([api.get<Rec>(`/quotes/${id}`), api.get<ListPage>(`/quotes/${id}/quote_lines`, { limit: 500, sort: 'position' })]);
      setQ(qq);
      setLines(ll.data);
      document.title = `${qq.quote_number} · ${st('s_quotes')}`;
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    load();
    api.get<ListPage>('/products', { limit: 500, active: true, sort: 'name' }).then((p) => setProducts(p.data), () => {});
  }, [id]);
  if (error) return <section class="page"><ErrorBox error={error} /></section>;
  if (!q) return <Loading />;
  const cur = q.currency;
  const draft = q.status === 'draft';
  const product = products.find((p) => String(p.id) === line.product);
  const preview = product ? quoteLine(Number(line.quantity) || 0, line.price ? parseMoney(line.price, cur) ?? 0 : product.unit_price ?? 0, Number(line.discount) || 0, Number(line.tax) || 0) : null;
  async function addLine(e: Event) {
    e.preventDefault();
    try {
      const body: any = { quote_id: id, product_id: Number(line.product), quantity: Number(line.quantity), discount: Number(line.discount), tax_rate: Number(line.tax), position: lines.length + 1 };
      if (line.price) body.unit_price = parseMoney(line.price, cur);
      await api.post('/quote_lines', body);
      setLine({ ...line, product: '', quantity: '1', price: '' });
      await load();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  async function act(what: 'revise' | 'accept') {
    try {
      const r = await api.post<any>(`/quotes/${id}/${what}`);
      if (what === 'revise') navigate(`/sales/quotes/${r.id}`);
      else {
        toast(st('s_accepted', { n: r.order_id }));
        await load();
      }
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  async function removeLine(lid: number) {
    try {
      await api.del(`/quote_lines/${lid}`);
      await load();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  const print = (format: string) => download(`/quotes/${id}/document?format=${format}&lang=${l}`, `${q.quote_number}.${format}`).catch((e) => toast(String(e.message ?? e), 'error', 8000));
  return (
    <section class="page sales-quote" aria-labelledby="page-title">
      <nav class="crumbs"><Link href="/sales/quotes">{st('s_quotes')}</Link></nav>
      <div class="page-head">
        <h1 id="page-title">{q.quote_number} · {q.name} <span class="badge quote-status">{senum(q.status)}</span></h1>
        <div class="toolbar">
          <button class="btn btn-ghost" onClick={() => print('html')}>{st('s_print_html')}</button>
          <button class="btn btn-ghost" onClick={() => print('pdf')}>{st('s_print_pdf')}</button>
          {q.status !== 'accepted' && q.status !== 'superseded' && <button class="btn" id="q-revise" onClick={() => act('revise')}>{st('s_revise')}</button>}
          {(q.status === 'draft' || q.status === 'sent') && <button class="btn btn-primary" id="q-accept" onClick={() => act('accept')}>{st('s_accept')}</button>}
        </div>
      </div>
      {q.order_id && <p class="alert"><Link href={`/orders/${q.order_id}`}>{st('s_accepted', { n: q.order_id })}</Link></p>}
      {!draft && q.status !== 'accepted' && <p class="alert alert-warn">{st('s_quote_locked', { status: senum(q.status) })}</p>}
      <div class="table-wrap card">
        <table class="table quote-lines">
          <thead><tr><th>#</th><th>{st('s_product')}</th><th class="num">{st('s_quantity')}</th><th class="num">{st('s_unit_price')}</th><th class="num">{st('s_discount')}</th><th class="num">{st('s_tax_rate')}</th><th class="num">{st('s_amount')}</th><th></th></tr></thead>
          <tbody>
            {lines.map((x, i) => (
              <tr key={x.id}>
                <td>{i + 1}</td><td>{x.description}</td><td class="num">{x.quantity}</td><td class="num">{formatMoney(x.unit_price, cur, l)}</td>
                <td class="num">{x.discount}</td><td class="num">{x.tax_rate}</td><td class="num">{formatMoney(x.amount, cur, l)}</td>
                <td>{draft && <button class="btn btn-sm btn-ghost" onClick={() => removeLine(x.id)}>{st('s_remove')}</button>}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {([['s_subtotal', q.subtotal], ['s_discounts', -q.discount_total], ['s_tax', q.tax_total], ['s_grand_total', q.total]] as [any, number][]).map(([k, v]) => (
              <tr key={k} class={k === 's_grand_total' ? 'total-row' : ''}><td colSpan={6} class="num">{st(k)}</td><td class="num" data-total={k}>{formatMoney(v, cur, l)}</td><td></td></tr>
            ))}
          </tfoot>
        </table>
      </div>
      {draft && (
        <form class="card form add-line" onSubmit={addLine}>
          <h2 class="card-title">{st('s_add_line')}</h2>
          <label class="field">{st('s_product')}
            <select id="ql-product" required value={line.product} onChange={(e) => setLine({ ...line, product: (e.target as HTMLSelectElement).value })}>
              <option value="">—</option>{products.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.sku})</option>)}
            </select>
          </label>
          <label class="field">{st('s_quantity')}<input id="ql-qty" type="number" min="1" required value={line.quantity} onInput={(e) => setLine({ ...line, quantity: (e.target as HTMLInputElement).value })} /></label>
          <label class="field">{st('s_unit_price')}<input id="ql-price" inputMode="decimal" placeholder={product ? formatMoney(product.unit_price, cur, l) : ''} value={line.price} onInput={(e) => setLine({ ...line, price: (e.target as HTMLInputElement).value })} /></label>
          <label class="field">{st('s_discount')}<input id="ql-discount" type="number" min="0" max="100" value={line.discount} onInput={(e) => setLine({ ...line, discount: (e.target as HTMLInputElement).value })} /></label>
          <label class="field">{st('s_tax_rate')}<input id="ql-tax" type="number" min="0" max="100" value={line.tax} onInput={(e) => setLine({ ...line, tax: (e.target as HTMLInputElement).value })} /></label>
          {preview && <p class="muted">{st('s_amount')}: {formatMoney(preview.amount, cur, l)} + {st('s_tax')} {formatMoney(preview.tax, cur, l)}</p>}
          <button class="btn btn-primary">{st('s_add_line')}</button>
        </form>
      )}
    </section>
  );
}

export function PriceListPage({ id }: { id: number }) {
  const [pl, setPl] = useState<Rec | null>(null);
  const [items, setItems] = useState<Rec[]>([]);
  const [products, setProducts] = useState<Rec[]>([]);
  const [row, setRow] = useState({ product: '', price: '', from: '1' });
  const l = locale.value;
  async function load() {
    const [p, it] = await Promise.all([api.get<Rec>(`/price_lists/${id}`), api.get<ListPage>(`/price_lists/${id}/price_list_items`, { limit: 500 })]);
    setPl(p);
    setItems(it.data);
  }
  useEffect(() => {
    load().catch((e) => toast(errorText(e), 'error'));
    api.get<ListPage>('/products', { limit: 500, sort: 'name' }).then((p) => setProducts(p.data), () => {});
  }, [id]);
  if (!pl) return <Loading />;
  const name = (pid: number) => products.find((p) => p.id === pid)?.name ?? `#${pid}`;
  async function add(e: Event) {
    e.preventDefault();
    try {
      await api.post('/price_list_items', { price_list_id: id, product_id: Number(row.product), unit_price: parseMoney(row.price, pl!.currency), min_quantity: Number(row.from) });
      setRow({ product: '', price: '', from: '1' });
      await load();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  return (
    <section class="page sales-price-list" aria-labelledby="page-title">
      <nav class="crumbs"><Link href="/price_lists">{st('s_price_lists')}</Link></nav>
      <h1 id="page-title">{pl.name} <span class="badge">{pl.currency}</span></h1>
      <div class="table-wrap card">
        <table class="table">
          <thead><tr><th>{st('s_product')}</th><th class="num">{st('s_from_quantity')}</th><th class="num">{st('s_unit_price')}</th></tr></thead>
          <tbody>{items.map((x) => <tr key={x.id}><td>{name(x.product_id)}</td><td class="num">{x.min_quantity}</td><td class="num">{formatMoney(x.unit_price, pl.currency, l)}</td></tr>)}</tbody>
        </table>
      </div>
      <form class="card form" onSubmit={add}>
        <label class="field">{st('s_product')}
          <select id="pl-product" required value={row.product} onChange={(e) => setRow({ ...row, product: (e.target as HTMLSelectElement).value })}>
            <option value="">—</option>{products.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
        <label class="field">{st('s_from_quantity')}<input id="pl-from" type="number" min="1" value={row.from} onInput={(e) => setRow({ ...row, from: (e.target as HTMLInputElement).value })} /></label>
        <label class="field">{st('s_unit_price')}<input id="pl-price" required inputMode="decimal" value={row.price} onInput={(e) => setRow({ ...row, price: (e.target as HTMLInputElement).value })} /></label>
        <button class="btn btn-primary">{st('s_add')}</button>
      </form>
    </section>
  );
}
