/// Server-rendered portal templates (Mustache). Plain HTML and CSS; no JavaScript needed.
enum PortalTemplates {
    static let layout = """
        <!doctype html>
        <html lang="{{htmlLang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · {{nodeName}}</title>
        <link rel="stylesheet" href="/static/portal.css">
        </head>
        <body>
        <header class="top">
          <a class="brand" href="/">[[数据空间|Dataspace]]</a>
          <span class="node">{{nodeName}} · <code>{{did}}</code></span>
          <nav class="lang" aria-label="[[语言|Language]]">{{#languages}}<a href="/language?to={{code}}&amp;next={{next}}" lang="{{lang}}"{{#current}} class="current" aria-current="true"{{/current}}>{{label}}</a>{{/languages}}</nav>
          <a class="account" href="/account">[[我的账户|Account]]</a>
        </header>
        <main>
        {{{content}}}
        </main>
        <footer>
          <a href="/ledger">[[存证|Evidence]]</a> · <a href="/api/openapi.yaml">API</a> · <a href="/.well-known/did.json">DID</a> · <a href="/.well-known/dspace-version">DSP 2025-1</a>
        </footer>
        </body>
        </html>
        """

    static let search = """
        <form class="search" method="get" action="/">
          <label for="q" class="visually-hidden">[[搜索|Search]]</label>
          <input id="q" name="q" type="search" value="{{q}}" placeholder="[[搜索数据产品|Search data products]] (空气质量, traffic …)">
          {{#sector}}<input type="hidden" name="sector" value="{{sector}}">{{/sector}}
          {{#region}}<input type="hidden" name="region" value="{{region}}">{{/region}}
          {{#grade}}<input type="hidden" name="grade" value="{{grade}}">{{/grade}}
          {{#minScore}}<input type="hidden" name="minScore" value="{{minScore}}">{{/minScore}}
          <button type="submit">[[搜索|Search]]</button>
        </form>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        <div class="layout">
        <aside class="facets">
          {{#activeFilters}}<p class="active">[[筛选：|Filters:]] {{#items}}<a class="chip" href="{{removeLink}}">{{label}} ✕</a> {{/items}}</p>{{/activeFilters}}
          <h2>[[行业|Sector]]</h2>
          <ul>{{#sectorFacets}}<li><a href="{{link}}">{{label}}</a> <span class="count">{{count}}</span></li>{{/sectorFacets}}</ul>
          <h2>[[地区|Region]]</h2>
          <ul>{{#regionFacets}}<li><a href="{{link}}">{{label}}</a> <span class="count">{{count}}</span></li>{{/regionFacets}}</ul>
          <h2>[[分级|Grade]]</h2>
          <ul>{{#gradeFacets}}<li><a href="{{link}}">{{label}}</a> <span class="count">{{count}}</span></li>{{/gradeFacets}}</ul>
          <h2>[[质量|Quality score]]</h2>
          <ul>{{#scoreFacets}}<li><a href="{{link}}">{{label}}</a> <span class="count">{{count}}</span></li>{{/scoreFacets}}</ul>
        </aside>
        <section class="results">
          <p class="summary">[[共 {{total}} 个数据产品|{{total}} products]]</p>
          {{#items}}
          <article class="hit">
            <h3><a href="/datasets/{{identifier}}">{{title}}</a></h3>
            <p class="meta">{{publisher}} · {{sectorLabel}} · {{regionLabel}} · {{grade}}{{#score}} · [[质量|quality]] {{score}}{{/score}} · v{{version}}</p>
            <p>{{description}}</p>
            <p class="id"><code>{{identifier}}</code></p>
          </article>
          {{/items}}
          {{^items}}<p class="empty">[[没有找到匹配的数据产品。|No matching products.]]</p>{{/items}}
          <nav class="pages">
            {{#previous}}<a href="{{previous}}">← [[上一页|Previous]]</a>{{/previous}}
            <span>[[第 {{page}} 页|Page {{page}}]]</span>
            {{#next}}<a href="{{next}}">[[下一页|Next]] →</a>{{/next}}
          </nav>
        </section>
        </div>
        """

    static let dataset = """
        <article class="dataset">
          <p class="crumbs"><a href="/">← [[数据目录|Catalog]]</a></p>
          <h1>{{title}}</h1>
          {{#withdrawn}}<p class="error">[[已下架|Withdrawn — this product is no longer offered.]]</p>{{/withdrawn}}
          <p>{{description}}</p>
          <table class="meta">
            <tr><th>[[统一标识|Identifier]]</th><td><code>{{identifier}}</code></td></tr>
            <tr><th>[[IPv6 地址|IPv6 address]]</th><td><code>{{ipv6}}</code></td></tr>
            <tr><th>[[发布方|Publisher]]</th><td>{{publisher}} (<code>{{creditCode}}</code>)</td></tr>
            <tr><th>[[行业|Sector]]</th><td>{{sectorLabel}}</td></tr>
            <tr><th>[[地区|Region]]</th><td>{{regionLabel}} ({{region}})</td></tr>
            <tr><th>[[分级|Grade]]</th><td>{{grade}}{{#gradeStatus}} ({{gradeStatus}}){{/gradeStatus}}</td></tr>
            {{#score}}<tr><th>[[质量|Quality]]</th><td>{{score}} · <a href="/datasets/{{identifier}}/quality">[[质量报告|Quality report]]</a></td></tr>{{/score}}
            {{#protection}}<tr><th>[[交付保护|Delivery]]</th><td>{{protection}}</td></tr>{{/protection}}
            {{#computeModes}}<tr><th>[[隐私计算|Computation]]</th><td>{{computeModes}}</td></tr>{{/computeModes}}
            <tr><th>[[关键词|Keywords]]</th><td>{{#keywords}}<span class="chip">{{.}}</span> {{/keywords}}</td></tr>
            <tr><th>[[时间范围|Temporal]]</th><td>{{temporal}}</td></tr>
            <tr><th>[[许可|Licence]]</th><td><a href="{{license}}">{{license}}</a></td></tr>
            <tr><th>[[发布|Issued]]</th><td>{{issued}}</td></tr>
            <tr><th>[[更新|Modified]]</th><td>{{modified}}</td></tr>
            {{^detailsWithheld}}
            <tr><th>[[文件|File]]</th><td>{{mediaType}} · [[{{byteSize}} 字节|{{byteSize}} bytes]] · [[{{rowCount}} 行|{{rowCount}} rows]] · SHA-256 <code>{{sha256}}</code></td></tr>
            <tr><th>[[字段|Columns]]</th><td>{{columns}}</td></tr>
            {{/detailsWithheld}}
          </table>
          {{#detailsWithheld}}<p class="note">[[仅公开目录条目|Only the catalog entry of this product is public.]]</p>{{/detailsWithheld}}
          {{^detailsWithheld}}
          <h2>[[使用条件|Terms]]</h2>
          <ul class="terms">{{#terms}}<li>[[{{chinese}}|<span class="en">{{english}}</span>]]</li>{{/terms}}</ul>
          <details><summary>[[ODRL 原文|The offer as ODRL]]</summary><pre class="policy">{{offer}}</pre></details>
          <h2>[[版本|Versions]]</h2>
          <table class="versions">
            <tr><th>[[版本|Version]]</th><th>[[状态|Status]]</th><th>[[更新|Modified]]</th><th>SHA-256</th></tr>
            {{#versions}}<tr><td>v{{version}}</td><td>{{status}}</td><td>{{modified}}</td><td><code>{{sha256}}</code></td></tr>{{/versions}}
          </table>
          {{/detailsWithheld}}
          <p class="links"><a href="/resolve/{{identifier}}">JSON</a></p>
        </article>
        """

    static let css = """
        :root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #0b5cad; --bg: #f7f9fb; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.55 system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: var(--ink); background: var(--bg); }
        header.top { display: flex; gap: 1rem; align-items: baseline; justify-content: space-between; padding: .8rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; color: var(--accent); text-decoration: none; font-size: 1.15rem; }
        .node { color: var(--muted); font-size: .85rem; }
        main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
        footer { text-align: center; color: var(--muted); padding: 2rem; font-size: .85rem; }
        form.search { display: flex; gap: .5rem; margin-bottom: 1.2rem; }
        form.search input[type=search] { flex: 1; padding: .65rem .8rem; font-size: 1rem; border: 1px solid var(--line); border-radius: 6px; }
        form.search button { padding: .65rem 1.1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font-size: 1rem; }
        .layout { display: grid; grid-template-columns: 16rem 1fr; gap: 1.5rem; }
        @media (max-width: 720px) { .layout { grid-template-columns: 1fr; } }
        .facets h2 { font-size: .9rem; text-transform: uppercase; color: var(--muted); margin: 1rem 0 .3rem; }
        .facets ul { list-style: none; padding: 0; margin: 0; }
        .facets li { display: flex; justify-content: space-between; padding: .15rem 0; }
        .count { color: var(--muted); font-variant-numeric: tabular-nums; }
        .hit { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin-bottom: .8rem; }
        .hit h3 { margin: 0 0 .2rem; font-size: 1.1rem; }
        .meta, .id, .summary { color: var(--muted); font-size: .88rem; margin: .2rem 0; }
        a { color: var(--accent); }
        .chip { display: inline-block; background: #e6f0fa; border-radius: 999px; padding: 0 .6rem; font-size: .85rem; text-decoration: none; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { width: 14rem; color: var(--muted); font-weight: 600; }
        pre.policy { background: #fff; border: 1px solid var(--line); padding: .8rem; overflow-x: auto; }
        .error { color: #a61b1b; background: #fdecec; padding: .5rem .8rem; border-radius: 6px; }
        .ok { color: #14532d; background: #e8f6ec; padding: .5rem .8rem; border-radius: 6px; }
        .ledger textarea { width: 100%; font-family: ui-monospace, monospace; font-size: .85rem; }
        .ledger form button { margin-top: .4rem; }
        .pages { display: flex; gap: 1rem; justify-content: center; margin-top: 1rem; }
        code { font-size: .85em; word-break: break-all; }
        .visually-hidden { position: absolute; left: -9999px; }
        table.grid th { width: auto; }
        table.grid td, table.grid th { font-size: .85rem; }
        form.search input[type=password] { flex: 1; padding: .65rem .8rem; font-size: 1rem; border: 1px solid var(--line); border-radius: 6px; }
        nav.tabs { margin-bottom: 1rem; }
        nav.lang { display: flex; gap: .6rem; font-size: .85rem; }
        nav.lang a { text-decoration: none; }
        nav.lang a.current { font-weight: 700; text-decoration: underline; color: var(--ink); }
        """
}
