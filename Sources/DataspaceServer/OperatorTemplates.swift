/// Operator pages (agreements, transfers, usage): server-rendered like the public portal, but
/// behind the admin token.
enum OperatorTemplates {
    static let login = """
        <section class="detail">
          <h1>[[运营登录|Operator sign-in]]</h1>
          {{#error}}<p class="error">{{error}}</p>{{/error}}
          <form method="post" action="/operator/login" class="search">
            <input name="token" type="password" autocomplete="off" placeholder="[[管理令牌|Admin token]] (DIR/admin.token)">
            <button type="submit">[[登录|Sign in]]</button>
          </form>
        </section>
        """

    static let agreements = """
        <nav class="tabs"><a href="/operator/agreements"><b>[[合约|Agreements]]</b></a> · <a href="/operator/transfers">[[传输|Transfers]]</a></nav>
        <section class="detail">
          <h1>[[合约|Agreements]]</h1>
          <p class="hint">[[最新 {{shown}} 份；全部：|The newest {{shown}}; all of them:]] <code>dataspace agreements</code> or <code>GET /api/v1/agreements</code></p>
          <table class="grid">
            <tr><th>[[合约|Agreement]]</th><th>[[角色|Role]]</th><th>[[状态|State]]</th><th>[[数据产品|Product]]</th><th>[[对方|Counterparty]]</th><th>[[用途|Purpose]]</th><th>[[交付|Deliveries]]</th><th>[[剩余|Left]]</th><th>[[签订|Agreed]]</th><th>SHA-256</th></tr>
            {{#agreements}}<tr><td><code>{{id}}</code></td><td>{{role}}</td><td>{{state}}</td><td><a href="/datasets/{{dataset}}"><code>{{dataset}}</code></a></td><td><code>{{counterparty}}</code></td><td>{{purpose}}</td><td>{{deliveries}}</td><td>{{remaining}}</td><td>{{agreedAt}}</td><td><code>{{digest}}</code></td></tr>{{/agreements}}
          </table>
          {{^agreements}}<p class="empty">[[尚无合约。|No agreements yet.]]</p>{{/agreements}}
          <h2>[[协商|Negotiations]]</h2>
          <table class="grid">
            <tr><th>[[协商|Negotiation]]</th><th>[[角色|Role]]</th><th>[[状态|State]]</th><th>[[数据产品|Product]]</th><th>[[对方|Counterparty]]</th><th>[[原因|Reasons]]</th><th>[[更新|Updated]]</th></tr>
            {{#negotiations}}<tr><td><code>{{id}}</code></td><td>{{role}}</td><td>{{state}}</td><td><code>{{dataset}}</code></td><td><code>{{counterparty}}</code></td><td>{{reasons}}</td><td>{{updated}}</td></tr>{{/negotiations}}
          </table>
        </section>
        """

    static let transfers = """
        <nav class="tabs"><a href="/operator/agreements">[[合约|Agreements]]</a> · <a href="/operator/transfers"><b>[[传输|Transfers]]</b></a></nav>
        <section class="detail">
          <h1>[[传输|Transfers]]</h1>
          <table class="grid">
            <tr><th>[[传输|Transfer]]</th><th>[[角色|Role]]</th><th>[[状态|State]]</th><th>[[合约|Agreement]]</th><th>[[第几次|Delivery]]</th><th>[[原因|Reasons]]</th><th>[[更新|Updated]]</th></tr>
            {{#transfers}}<tr><td><code>{{id}}</code></td><td>{{role}}</td><td>{{state}}</td><td><code>{{agreement}}</code></td><td>{{delivery}}</td><td>{{reasons}}</td><td>{{updated}}</td></tr>{{/transfers}}
          </table>
          {{^transfers}}<p class="empty">[[尚无传输。|No transfers yet.]]</p>{{/transfers}}
          <h2>[[用量|Usage (data plane)]]</h2>
          <table class="grid">
            <tr><th>[[合约|Agreement]]</th><th>[[请求|Requests]]</th><th>[[完整交付|Complete]]</th><th>[[字节|Bytes]]</th><th>[[行|Rows]]</th></tr>
            {{#usage}}<tr><td><code>{{agreement}}</code></td><td>{{requests}}</td><td>{{complete}}</td><td>{{bytes}}</td><td>{{rows}}</td></tr>{{/usage}}
          </table>
        </section>
        """
}
