/// Templates of the portal's account pages (Mustache): sign-in, accepting an invitation, the
/// account page and plain messages. Labels are tied to their inputs; errors are announced.
enum AccountTemplates {
    static let login = """
        <section class="panel">
          <h1>[[登录|Sign in]]</h1>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <form class="stack" method="post" action="/login">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="next" value="{{next}}">
            <label for="login">[[登录名|Login]]</label>
            <input id="login" name="login" autocomplete="username" required maxlength="64" value="{{login}}">
            <label for="password">[[密码|Password]]</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
            <button type="submit">[[登录|Sign in]]</button>
          </form>
          <p class="hint">[[没有账户？请向本机构管理员申请邀请。|No account? Ask your organisation's administrator for an invitation.]]</p>
        </section>
        """

    static let invite = """
        <section class="panel">
          <h1>[[接受邀请|Accept invitation]]</h1>
          <p>{{displayName}} · <code>{{login}}</code></p>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <form class="stack" method="post" action="/invite">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="token" value="{{token}}">
            <label for="password">[[设置密码（10–256 个字符）|Choose a password (10–256 characters)]]</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="256">
            <label for="confirm">[[再次输入|Repeat it]]</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="10" maxlength="256">
            <button type="submit">[[设置密码|Set password]]</button>
          </form>
        </section>
        """

    static let account = """
        <section class="panel">
          <h1>{{displayName}}</h1>
          <table class="meta">
            <tr><th>[[登录名|Login]]</th><td><code>{{login}}</code></td></tr>
            <tr><th>[[角色|Roles]]</th><td>{{#roles}}<span class="chip">{{label}}</span> {{/roles}}</td></tr>
            <tr><th>[[会话到期|Session ends]]</th><td>{{expires}}</td></tr>
          </table>
          <nav class="tasks"><h2>[[我的工作|My work]]</h2><ul>{{#links}}<li><a href="{{href}}">{{label}}</a></li>{{/links}}</ul></nav>
          <form method="post" action="/logout">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit">[[退出|Sign out]]</button>
          </form>
        </section>
        <section class="panel" id="tokens">
          <h2>[[API 令牌|API tokens]]</h2>
          <p class="hint">[[脚本以您的身份调用管理接口，只用令牌所含的角色（<code>dataspace login</code> 也会创建令牌）。|Scripts call the management API as you, with only the token's roles (<code>dataspace login</code> makes one too).]]</p>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
          {{#issued}}<p class="secret"><code id="issued-token">{{issued}}</code></p>{{/issued}}
          {{^hasTokens}}<p class="empty">[[还没有令牌|No token yet.]]</p>{{/hasTokens}}
          {{#hasTokens}}
          <table class="list">
            <thead><tr><th>[[名称|Name]]</th><th>[[角色|Roles]]</th><th>[[创建|Created]]</th><th>[[到期|Expires]]</th><th>[[状态|State]]</th><th></th></tr></thead>
            <tbody>
              {{#tokens}}
              <tr id="token-{{id}}"><td>{{name}}</td><td>{{roles}}</td><td>{{created}}</td><td>{{expires}}</td><td>{{state}}</td>
                <td>{{#live}}<form method="post" action="/account/tokens/{{id}}/revoke" class="inline">
                  <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">[[撤销|Revoke]]</button></form>{{/live}}</td></tr>
              {{/tokens}}
            </tbody>
          </table>
          {{/hasTokens}}
          <form method="post" action="/account/tokens" class="stack">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label for="token-name">[[名称|Name]]</label>
            <input id="token-name" name="name" maxlength="80" required placeholder="[[例如：夜间导出|e.g. nightly export]]">
            <fieldset><legend>[[角色|Roles]]</legend>
              {{#tokenRoles}}<label><input type="checkbox" name="scope-{{value}}" checked> {{label}}</label> {{/tokenRoles}}
            </fieldset>
            <label for="token-days">[[有效期|Lasts]]</label>
            <select id="token-days" name="days">
              <option value="7">[[7 天|7 days]]</option><option value="30">[[30 天|30 days]]</option>
              <option value="90" selected>[[90 天|90 days]]</option><option value="365">[[365 天|365 days]]</option>
            </select>
            <button type="submit">[[创建令牌|Make a token]]</button>
          </form>
        </section>
        """

    static let message = """
        <section class="panel">
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
          <p><a href="/">← [[数据目录|Catalog]]</a></p>
        </section>
        """

    static let authority = """
        <section class="wide">
          <h1>[[成员管理|Members]]</h1>
          <p class="hint">{{officer}} · [[登记机构|Registration authority]]</p>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
          <h2>[[待审批申请|Applications waiting]]</h2>
          {{^pending}}<p class="empty">[[没有待审批的申请|No application is waiting.]]</p>{{/pending}}
          {{#pending}}
          <article class="application" id="application-{{id}}">
            <h3>{{name}}</h3>
            <p class="meta"><code>{{creditCode}}</code> · {{region}} · {{sector}} · [[提交|submitted]] {{submitted}}</p>
            <p class="id"><code>{{did}}</code></p>
            <form method="post" action="/authority/members/{{id}}/approve" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="approve">[[批准|Approve]]</button>
            </form>
            <form method="post" action="/authority/members/{{id}}/reject" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <label for="reject-{{id}}">[[拒绝理由|Reason for rejecting]]</label>
              <input id="reject-{{id}}" name="reason" maxlength="500">
              <button type="submit" class="reject">[[拒绝|Reject]]</button>
            </form>
          </article>
          {{/pending}}
          <h2>[[成员|Members]]</h2>
          <table class="list">
            <tr><th>[[名称|Name]]</th><th>[[统一社会信用代码|Credit code]]</th><th>[[地区|Region]]</th><th>[[批准|Approved]]</th><th>[[撤销|Revoke]]</th></tr>
            {{#members}}<tr><td>{{name}}<br><code>{{did}}</code></td><td><code>{{creditCode}}</code></td><td>{{region}}</td><td>{{decided}}<br>{{decidedBy}}</td>
            <td><form method="post" action="/authority/members/{{id}}/revoke" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <label for="revoke-{{id}}" class="visually-hidden">[[撤销理由|Reason for revoking]]</label>
              <input id="revoke-{{id}}" name="reason" maxlength="500" placeholder="[[理由|Reason]]">
              <button type="submit" class="reject">[[撤销|Revoke]]</button>
            </form></td></tr>{{/members}}
          </table>
          {{^members}}<p class="empty">[[还没有成员|No members yet.]]</p>{{/members}}
          <h2>[[已拒绝或撤销|Rejected or revoked]]</h2>
          <table class="list">
            <tr><th>[[名称|Name]]</th><th>[[决定|Decision]]</th><th>[[理由|Reason]]</th></tr>
            {{#closed}}<tr><td>{{name}}<br><code>{{creditCode}}</code></td>
            <td>{{#revoked}}[[撤销|revoked]] {{revoked}} · {{revokedBy}}{{/revoked}}{{^revoked}}[[拒绝|rejected]] {{decided}} · {{decidedBy}}{{/revoked}}</td>
            <td>{{#revoked}}{{revocationReason}}{{/revoked}}{{^revoked}}{{reason}}{{/revoked}}</td></tr>{{/closed}}
          </table>
        </section>
        """

    static let audit = """
        <section class="wide">
          <h1>[[存证审计|Evidence audit]]</h1>
          <form class="filters" method="get" action="/audit">
            <label for="type">[[事件|Event]]</label>
            <select id="type" name="type"><option value="">[[全部|All]]</option>{{#types}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/types}}</select>
            <label for="party">[[相关方|Party]]</label>
            <input id="party" name="party" value="{{party}}" maxlength="200" placeholder="[[名称、DID 或标识|name, DID or identifier]]">
            <label for="since">[[自|From]]</label>
            <input id="since" name="since" type="date" value="{{since}}">
            <label for="until">[[至|To]]</label>
            <input id="until" name="until" type="date" value="{{until}}">
            <button type="submit">[[筛选|Filter]]</button>
          </form>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <p class="hint">[[{{count}} 条|{{count}} entries]] · <a href="/ledger">[[核验收据|Verify a receipt]]</a></p>
          <table class="list">
            <tr><th>#</th><th>[[时间|Time (UTC)]]</th><th>[[事件|Event]]</th><th>[[内容|Details]]</th><th>[[收据|Receipt]]</th></tr>
            {{#items}}<tr><td>{{index}}</td><td>{{time}}</td><td>{{label}}<br><code>{{type}}</code></td>
            <td><dl class="fields">{{#fields}}<dt>{{key}}</dt><dd>{{#named}}<strong>{{value}}</strong><br><code>{{raw}}</code>{{/named}}{{^named}}<code>{{value}}</code>{{/named}}</dd>{{/fields}}</dl></td>
            <td><a href="/ledger/receipt/{{index}}">[[收据|receipt]]</a></td></tr>{{/items}}
          </table>
          {{^items}}<p class="empty">[[没有符合条件的记录|No entry matches.]]</p>{{/items}}
          {{#next}}<p><a href="{{next}}">[[更多|More]] →</a></p>{{/next}}
        </section>
        """

    static let css = """
        .panel { max-width: 34rem; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.2rem 1.4rem; }
        form.stack { display: flex; flex-direction: column; gap: .35rem; }
        form.stack input { padding: .55rem .7rem; font-size: 1rem; border: 1px solid var(--line); border-radius: 6px; }
        form.stack button, .panel form button { margin-top: .6rem; padding: .6rem 1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font-size: 1rem; }
        :focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
        .hint { color: var(--muted); font-size: .9rem; }
        .wide { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.2rem 1.4rem; }
        .application { border-top: 1px solid var(--line); padding: .6rem 0; }
        form.inline { display: inline-flex; gap: .4rem; align-items: center; margin: .2rem .6rem .2rem 0; flex-wrap: wrap; }
        form.inline input { padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 6px; }
        form.inline button { padding: .4rem .9rem; border: 0; border-radius: 6px; color: #fff; background: var(--accent); }
        form.inline button.reject { background: #a61b1b; }
        p.secret code { display: block; padding: .6rem; background: #fff8e1; border: 1px solid #e0c060; border-radius: 6px; word-break: break-all; user-select: all; }
        fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .7rem; }
        ol.steps li { color: #5b6470; }
        ol.steps li.done { color: var(--accent); font-weight: 600; }
        ol.steps li.done::marker { content: "✓ "; }
        ol.steps li.current { color: var(--ink); font-weight: 700; }
        ul.terms { margin: .4rem 0 .6rem; }
        table.list { border-collapse: collapse; width: 100%; }
        table.list th, table.list td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
        form.filters { display: flex; flex-wrap: wrap; gap: .4rem .6rem; align-items: center; margin-bottom: .8rem; }
        form.filters input, form.filters select { padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 6px; }
        form.filters button { padding: .45rem .9rem; border: 0; border-radius: 6px; color: #fff; background: var(--accent); }
        dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .6rem; margin: 0; }
        dl.fields dt { color: var(--muted); }
        dl.fields dd { margin: 0; overflow-wrap: anywhere; }
        .notice { color: #0f5132; background: #e6f4ea; padding: .5rem .8rem; border-radius: 6px; }
        .chip { display: inline-block; padding: .1rem .5rem; border: 1px solid var(--line); border-radius: 999px; }
        form.stack select, form.stack textarea { padding: .5rem .6rem; font-size: 1rem; border: 1px solid var(--line); border-radius: 6px; font-family: inherit; }
        form.stack h2 { margin: 1.2rem 0 .2rem; font-size: 1.1rem; }
        form.stack label.choice { display: inline-block; margin-right: 1rem; }
        fieldset.inline { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
        progress { width: 100%; height: 1rem; }
        button.secondary { background: #5b6470; color: #fff; border: 0; border-radius: 6px; padding: .35rem .8rem; font-size: .9rem; }
        a.button { display: inline-block; padding: .5rem 1rem; border-radius: 6px; background: var(--accent); color: #fff; text-decoration: none; }
        """
}
