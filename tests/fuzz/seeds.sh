#!/bin/sh
# Writes the seed corpora of the import and intake fuzz targets (csv, xlsx,
# multipart, normalise, mail, pls_model): a few real-looking inputs each, made
# here rather than taken from any data set. Safe to run again; run.sh does not
# need it (the seeds are committed).
set -eu
cd "$(dirname "$0")/corpus"
mkdir -p csv xlsx multipart normalise mail pls_model
crlf() { sed 's/$/\r/'; }

# CSV: the first byte is the target's options (delimiter, encoding, repeat).
{ printf '\000'; printf '客户姓名,手机号码,电子邮件,公司,生日\n张三丰,138-1234-5678,ZS@Example.com,"武当 ""科技""",1985/3/14\n李四,+86 139 0000 1111,li4@x.cn,,2001年2月3日\n' | crlf; } >csv/utf8_chinese
{ printf '\000'; printf '姓名;城市;备注\n王五;上海;"两行\n备注"\n赵六;北京;\n' | iconv -f UTF-8 -t GB18030; } >csv/gb18030_semicolon
{ printf '\020\357\273\277'; printf 'name\temail\tmobile\n张伟\tzw@x.cn\t１３８００１３８０００\n'; } >csv/bom_tab_repeated
{ printf '\000'; printf 'name,city\n陈静,成都\n' | iconv -f UTF-8 -t UTF-16; } >csv/utf16_bom
{ printf '\001'; printf 'a,b\n"not closed,1\n2,3\n'; } >csv/unclosed_quote

# XLSX: XML parts separated by lines of =====, zipped by the target ...
cat >xlsx/parts <<'XML'
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>生日</t></is></c><c r="D1" t="s"><v>2</v></c></row><row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>13812345678</v></c><c r="C3" s="1"><v>31120</v></c><c r="D3" t="b"><v>1</v></c><c r="F3" t="str"><v>=A3</v></c></row><row><c t="e"><v>#N/A</v></c><c r="B4" s="2"><v>45000.75</v></c></row></sheetData></worksheet>
=====
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4"><si><t>姓名</t></si><si><r><t>手</t></r><r><t xml:space="preserve">机 </t></r><rPh><t>shouji</t></rPh></si><si><t>VIP</t></si><si><t>张 &amp; 三</t></si></sst>
=====
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="22"/></cellXfs></styleSheet>
=====
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="false"/><sheets><sheet name="客户" sheetId="1" r:id="rId3"/></sheets></workbook>
=====
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/></Relationships>
XML
# ... and one workbook as a real, deflated zip.
node --input-type=module -e '
import { crc32, deflateRawSync } from "node:zlib";
import { writeFileSync } from "node:fs";
const parts = {
  "xl/workbook.xml": `<workbook xmlns:r="r"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
  "xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`,
  "xl/sharedStrings.xml": `<sst><si><t>公司名称</t></si><si><t>城市</t></si><si><t>华为技术</t></si><si><t>深圳</t></si></sst>`,
  "xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c><c r="C2"><v>207000</v></c></row></sheetData></worksheet>`,
};
const files = [], dir = [];
let off = 0;
for (const [name, text] of Object.entries(parts)) {
  const raw = Buffer.from(text), data = deflateRawSync(raw), n = Buffer.from(name);
  const h = Buffer.alloc(30), d = Buffer.alloc(46);
  h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(8, 8); h.writeUInt32LE(crc32(raw), 14);
  h.writeUInt32LE(data.length, 18); h.writeUInt32LE(raw.length, 22); h.writeUInt16LE(n.length, 26);
  d.writeUInt32LE(0x02014b50, 0); d.writeUInt16LE(20, 4); d.writeUInt16LE(20, 6); d.writeUInt16LE(8, 10); d.writeUInt32LE(crc32(raw), 16);
  d.writeUInt32LE(data.length, 20); d.writeUInt32LE(raw.length, 24); d.writeUInt16LE(n.length, 28); d.writeUInt32LE(off, 42);
  files.push(h, n, data); dir.push(d, n); off += 30 + n.length + data.length;
}
const size = dir.reduce((a, b) => a + b.length, 0), e = Buffer.alloc(22);
e.writeUInt32LE(0x06054b50, 0); e.writeUInt16LE(dir.length / 2, 8); e.writeUInt16LE(dir.length / 2, 10); e.writeUInt32LE(size, 12); e.writeUInt32LE(off, 16);
writeFileSync("xlsx/deflated.xlsx", Buffer.concat([...files, ...dir, e]));
'

# multipart/form-data: the Content-Type line, then the body, as a browser sends it.
{ echo 'multipart/form-data; boundary=----WebKitFormBoundaryx7YQ2pLs'; printf '%s\n' \
	'------WebKitFormBoundaryx7YQ2pLs' 'Content-Disposition: form-data; name="entity"' '' 'contacts' \
	'------WebKitFormBoundaryx7YQ2pLs' 'Content-Disposition: form-data; name="map"' '' '#1=name,#2=mobile,#3=-' \
	'------WebKitFormBoundaryx7YQ2pLs' 'Content-Disposition: form-data; name="file"; filename="客户.csv"' 'Content-Type: text/csv' '' \
	'姓名,手机' '张三,13800138000' '------WebKitFormBoundaryx7YQ2pLs--' | crlf; } >multipart/import_form
{ echo 'Multipart/Form-Data; charset=utf-8; boundary="a b;c"'; printf '%s\n' '--a b;c' 'content-disposition: form-data; name=dry_run' '' 'true' \
	'--a b;c' 'Content-Disposition: form-data; filename="x.xlsx"; name="file"' '' 'PK' '--a b;c--' | crlf; } >multipart/quoted_boundary
{ echo 'multipart/form-data; boundary=X'; printf '%s\n' '--X' 'Content-Disposition: form-data; name="file"; filename="cut.csv"' '' 'name' | crlf; } >multipart/cut_short

# E-mail as a mailbox gives it to the service module.
{ printf '%s\n' 'From: =?GB2312?B?1cXI/c31?= <zhangsan@example.cn>' 'To: service@kehu.example' \
	'Subject: =?GB2312?B?tqm1pc7KzOI=?= =?utf-8?Q?_CS-000123?=' 'Message-ID: <a1@example.cn>' 'MIME-Version: 1.0' \
	'Content-Type: text/plain; charset="gb2312"' 'Content-Transfer-Encoding: base64' ''; \
	printf '您好，我的订单还没有到。\n' | iconv -f UTF-8 -t GB2312 | base64; } | crlf >mail/gb2312_base64
printf '%s\n' 'From: "Li Si" <li4@x.cn>' 'Subject: Re: =?utf-8?B?5oqV6K+J?=' 'In-Reply-To: <kehu-case-7@kehu.example>' \
	'References: <a1@example.cn>' ' <kehu-case-7@kehu.example>' 'Content-Type: multipart/alternative; boundary="alt"' '' \
	'--alt' 'Content-Type: text/plain; charset=utf-8' 'Content-Transfer-Encoding: quoted-printable' '' \
	'=E5=B7=B2=E6=94=B6=E5=88=B0=EF=BC=8C=E8=B0=A2=E8=B0=A2=' '' '' '在 2026年3月1日 写道：' '> 您的工单已处理' \
	'--alt' 'Content-Type: text/html; charset=utf-8' '' '<p>已收到&nbsp;谢谢</p>' '--alt--' >mail/reply_alternative
printf '%s\n' 'From: wang5@x.cn (Wang)' 'Subject: plain' 'Content-Type: multipart/mixed; boundary=outer' '' '--outer' \
	'Content-Type: multipart/alternative; boundary=inner' '' '--inner' 'Content-Type: text/html; charset=big5' '' \
	'<b>hello</b> &amp; &lt;bye&gt;' '--inner--' '--outer' 'Content-Type: application/pdf' '' 'JVBERi0=' '--outer--' >mail/nested_html_only

# PLS path models in lavaan syntax.
printf '%s\n' '# ECSI, abridged' 'Image        =~ IMAG1 + IMAG2 + IMAG3' 'Satisfaction =~ CUSA1 + CUSA2 + CUSA3' \
	'Loyalty      =~ CUSL1 + CUSL2' 'Satisfaction ~ Image' 'Loyalty      ~ Image + Satisfaction' >pls_model/ecsi_abridged
printf '%s\n' 'Quality =~ PERQ1 +' '  PERQ2 + # continued' '  PERQ3; Value =~ PERV1 + PERV2' 'Value ~' '  Quality' >pls_model/continued
printf '%s\n' 'A =~ a1; B =~ b1; C =~ c1' 'B ~ A; C ~ B; A ~ C' >pls_model/cycle

# Cells that become keys.
printf '+86 138-1234-5678' >normalise/phone_plus86
printf '１３８１２３４５６７８ 转 123' >normalise/fullwidth_extension
printf '0086-(010) 8888.6666 ext 12' >normalise/landline
printf '\343\200\200張　偉\302\240' >normalise/traditional_name
printf ' ZW@Huawei.COM ' >normalise/email
