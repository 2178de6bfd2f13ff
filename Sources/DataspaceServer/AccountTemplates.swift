/// Templates of the portal's account pages (Mustache): sign-in, accepting an invitation, the
/// account page and plain messages. Labels are tied to their inputs; errors are announced.
enum AccountTemplates {
    static let login = """
        <section class="panel">
          <h1>登录 Sign in</h1>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <form class="stack" method="post" action="/login">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="next" value="{{next}}">
            <label for="login">登录名 Login</label>
            <input id="login" name="login" autocomplete="username" required maxlength="64" value="{{login}}">
            <label for="password">密码 Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
            <button type="submit">登录 Sign in</button>
          </form>
          <p class="hint">没有账户？请向本机构管理员申请邀请。No account? Ask your organisation's administrator for an invitation.</p>
        </section>
        """

    static let invite = """
        <section class="panel">
          <h1>接受邀请 Accept invitation</h1>
          <p>{{displayName}} · <code>{{login}}</code></p>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <form class="stack" method="post" action="/invite/{{token}}">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label for="password">设置密码（10–256 个字符）Choose a password (10–256 characters)</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="256">
            <label for="confirm">再次输入 Repeat it</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="10" maxlength="256">
            <button type="submit">设置密码 Set password</button>
          </form>
        </section>
        """

    static let account = """
        <section class="panel">
          <h1>{{displayName}}</h1>
          <table class="meta">
            <tr><th>登录名 Login</th><td><code>{{login}}</code></td></tr>
            <tr><th>角色 Roles</th><td>{{#roles}}<span class="chip">{{label}}</span> {{/roles}}</td></tr>
            <tr><th>会话到期 Session ends</th><td>{{expires}}</td></tr>
          </table>
          <form method="post" action="/logout">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit">退出 Sign out</button>
          </form>
        </section>
        """

    static let message = """
        <section class="panel">
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
          <p><a href="/">← 数据目录 Catalog</a></p>
        </section>
        """

    static let css = """
        .panel { max-width: 34rem; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.2rem 1.4rem; }
        form.stack { display: flex; flex-direction: column; gap: .35rem; }
        form.stack input { padding: .55rem .7rem; font-size: 1rem; border: 1px solid var(--line); border-radius: 6px; }
        form.stack button, .panel form button { margin-top: .6rem; padding: .6rem 1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font-size: 1rem; }
        :focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
        .hint { color: var(--muted); font-size: .9rem; }
        .chip { display: inline-block; padding: .1rem .5rem; border: 1px solid var(--line); border-radius: 999px; }
        """
}
