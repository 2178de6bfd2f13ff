/// The analyst's pages (`AccessRequestPortal`): a member's catalog with each offer in plain
/// words and a request button, one request's progress, and the list of requests.
enum AccessRequestTemplates {
    static let explore = """
        <section class="wide">
          <h1>[[浏览成员目录|Browse a member's catalog]]</h1>
          <form method="get" action="/explore" class="search" role="search">
            <label for="provider">[[成员节点地址|Member node URL]]</label>
            <input id="provider" name="provider" value="{{provider}}" placeholder="https://node.example.org" list="known-providers" size="40" required>
            <datalist id="known-providers">{{#known}}<option value="{{url}}">{{/known}}</datalist>
            <label for="q">[[关键词|Keywords]]</label>
            <input id="q" name="q" value="{{q}}" maxlength="200">
            <button type="submit">[[浏览|Browse]]</button>
          </form>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          {{#searched}}{{^hasProducts}}<p class="empty">[[该成员没有符合条件的数据产品|This member has no matching product.]]</p>{{/hasProducts}}{{/searched}}
          {{#products}}
          <article class="product" id="product-{{id}}">
            <h2>{{title}}</h2>
            <p>{{description}}</p>
            <p class="meta"><code>{{id}}</code> · [[分级|grade]] {{grade}} · [[地区|region]] {{region}} · [[领域|sector]] {{sector}}</p>
            {{#noOffer}}<p class="hint">[[没有可申请的要约|No offer to request.]]</p>{{/noOffer}}
            <ul class="terms">{{#terms}}<li>[[<span lang="zh">{{chinese}}</span>|<span lang="en">{{english}}</span>]]</li>{{/terms}}</ul>
            {{#canRequest}}{{^noOffer}}
            <form method="post" action="/requests" class="inline request-access">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <input type="hidden" name="provider" value="{{provider}}">
              <input type="hidden" name="dataset" value="{{id}}">
              <label for="purpose-{{id}}">[[用途|Purpose]]</label>
              <select id="purpose-{{id}}" name="purpose">{{#purposes}}<option value="{{value}}">{{value}}</option>{{/purposes}}</select>
              <button type="submit">[[申请使用|Request access]]</button>
            </form>
            {{/noOffer}}{{/canRequest}}
          </article>
          {{/products}}
          <p><a href="/requests">[[我的申请与合约|My requests and agreements]]</a></p>
        </section>
        """

    static let request = """
        <section class="panel">
          {{#pending}}<meta http-equiv="refresh" content="2">{{/pending}}
          <h1>[[申请使用|Request access]]</h1>
          <table class="meta">
            <tr><th>[[数据产品|Product]]</th><td><a href="/datasets/{{dataset}}"><code>{{dataset}}</code></a></td></tr>
            <tr><th>[[提供方|Provider]]</th><td><code>{{provider}}</code></td></tr>
            <tr><th>[[用途|Purpose]]</th><td>{{purpose}}</td></tr>
            <tr><th>[[申请人|Requested by]]</th><td>{{by}}</td></tr>
            <tr><th>[[状态|State]]</th><td id="request-state">{{state}}</td></tr>
          </table>
          <ol class="steps">{{#steps}}<li class="{{#done}}done{{/done}}">{{label}}</li>{{/steps}}</ol>
          {{#pending}}<p class="notice" role="status">[[协商进行中，本页自动刷新|Negotiating with the provider; this page refreshes itself.]]</p>{{/pending}}
          {{#refused}}<div class="error" role="alert"><p>[[提供方拒绝了申请：|The provider refused the request:]]</p>
            <ul class="reasons">{{#reasons}}<li>{{text}}</li>{{/reasons}}</ul></div>{{/refused}}
          {{#agreed}}<p class="notice" role="status">[[合约已生效：|The agreement is in force:]] <code id="agreement-id">{{agreement}}</code></p>{{/agreed}}
          {{#canDownload}}
          <form method="post" action="/requests/{{id}}/download" class="inline download">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit">[[下载|Download]]</button>
          </form>
          {{/canDownload}}
          <p><a href="/requests">[[我的申请与合约|My requests and agreements]]</a> · <a href="/explore?provider={{provider}}">[[返回目录|Back to the catalog]]</a></p>
        </section>
        """

    static let requests = """
        <section class="wide">
          <h1>[[我的申请与合约|Requests and agreements]]</h1>
          {{^hasRequests}}<p class="empty">[[还没有申请|No request yet.]] <a href="/explore">[[浏览成员目录|Browse a member's catalog]]</a></p>{{/hasRequests}}
          {{#hasRequests}}
          <table class="list">
            <thead><tr><th>[[数据产品|Product]]</th><th>[[提供方|Provider]]</th><th>[[用途|Purpose]]</th><th>[[申请人|By]]</th><th>[[状态|State]]</th><th>[[合约|Agreement]]</th><th>[[更新|Updated]]</th></tr></thead>
            <tbody>
              {{#requests}}
              <tr><td><a href="/requests/{{id}}"><code>{{dataset}}</code></a></td><td><code>{{provider}}</code></td><td>{{purpose}}</td><td>{{by}}</td>
                <td>{{state}}{{#reasons}}<br><small>{{text}}</small>{{/reasons}}</td><td>{{#agreement}}<code>{{agreement}}</code>{{/agreement}}</td><td>{{updated}}</td></tr>
              {{/requests}}
            </tbody>
          </table>
          {{/hasRequests}}
        </section>
        """

    static let download = """
        <section class="panel">
          {{#pending}}<meta http-equiv="refresh" content="1">{{/pending}}
          <h1>[[下载|Download]]</h1>
          <table class="meta">
            <tr><th>[[数据产品|Product]]</th><td><code>{{dataset}}</code></td></tr>
            <tr><th>[[合约|Agreement]]</th><td><code>{{agreement}}</code></td></tr>
            <tr><th>[[交付|Transfer]]</th><td><code>{{id}}</code> · {{state}}</td></tr>
          </table>
          {{#pending}}
          <p role="status">[[正在接收：|Receiving:]] {{received}} [[字节|bytes]]{{#total}} / {{total}}{{/total}}</p>
          {{#percent}}<progress max="100" value="{{percent}}" aria-label="[[下载进度|Download progress]]">{{percent}}%</progress>{{/percent}}
          {{/pending}}
          {{#elsewhere}}<p class="notice" role="status">[[交付进行中（在另一副本上），请稍后刷新。|The delivery is in progress on another replica; reload in a moment.]]</p>{{/elsewhere}}
          {{#error}}<p class="error" role="alert">[[下载失败：|The download failed:]] {{error}}</p>{{/error}}
          {{#ready}}
          <p class="notice" role="status" id="verified">[[校验通过|Checksum verified]] · SHA-256 <code>{{sha256}}</code></p>
          {{#receipt}}<p>[[提供方存证回执：|Provider's receipt:]] <a href="/ledger/receipt/{{receipt}}">[[第 {{receipt}} 条|entry {{receipt}}]]</a></p>{{/receipt}}
          <p><a class="button" href="/downloads/{{id}}/file" id="save-file">[[保存文件|Save the file]]</a></p>
          {{/ready}}
          <p><a href="/requests">[[我的申请与合约|My requests and agreements]]</a></p>
        </section>
        """
}
