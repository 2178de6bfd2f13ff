/// Templates of the publisher's pages (Mustache) and the upload page's small script.
enum PublisherTemplates {
    static let publish = """
        <section class="publish">
          <p class="crumbs"><a href="/publisher">← [[我的发布|Publishing]]</a></p>
          <h1>[[发布数据产品|Publish a data product]]</h1>
          {{#product}}<p class="notice" id="new-version-of">[[新版本：|New version of:]] <a href="/datasets/{{product}}">{{productTitle}}</a></p>{{/product}}
          <ol class="steps"><li class="current" aria-current="step">[[上传文件|Upload the file]]</li><li>[[查看质量报告并填写信息|Review the quality report, describe and offer it]]</li><li>[[发布|Publish]]</li></ol>
          <form id="upload" class="stack" method="post" action="{{action}}" enctype="application/octet-stream"
            data-csrf="{{csrf}}" data-assessing="[[上传完成，正在评估质量…|Uploaded; assessing quality…]]"
            data-failed="[[上传失败|The upload failed]]" data-empty="[[请选择文件|Choose a file first]]"
            data-offline="[[连接中断，请重试|The connection was lost; try again]]">
            <label for="file">[[数据文件（CSV 或 JSON Lines，最大 {{limit}} MiB）|Data file (CSV or JSON Lines, up to {{limit}} MiB)]]</label>
            <input id="file" name="file" type="file" accept=".csv,.jsonl,.ndjson,.txt,text/csv" required>
            <progress id="upload-progress" value="0" max="1" aria-label="[[上传进度|Upload progress]]"></progress>
            <p id="upload-status" role="status" aria-live="polite"></p>
            <button id="upload-button" type="submit">[[上传并评估|Upload and assess]]</button>
          </form>
          <noscript><p class="error">[[上传需要启用 JavaScript；也可以使用 <code>dataspace publish</code> 命令。|Uploading needs JavaScript; the <code>dataspace publish</code> command works without it.]]</p></noscript>
          <p class="hint">[[文件先保存为草稿并评估：发布前可查看质量报告、建议分级与疑似个人信息列。|The file is kept as a draft and assessed first: you see the quality report, the proposed grade and the columns that look personal before anything is published.]]</p>
        </section>
        <script src="/static/publish.js"></script>
        """

    static let draft = """
        <section class="publish">
          <p class="crumbs"><a href="/publish">← [[重新上传|Upload another file]]</a></p>
          <h1>[[确认发布|Review and publish]]</h1>
          {{#isUpdate}}<p class="notice" id="new-version-of">[[第 {{version}} 版：|Version {{version}} of:]] <a href="/datasets/{{product}}">{{productTitle}}</a></p>{{/isUpdate}}
          <ol class="steps"><li class="done">[[上传文件|Upload the file]]</li><li class="current" aria-current="step">[[查看质量报告并填写信息|Review the quality report, describe and offer it]]</li><li>[[发布|Publish]]</li></ol>
          {{#error}}<p class="error" role="alert" id="form-error" data-field="{{errorField}}"><a href="#{{errorTarget}}">{{errorLabel}}</a>: {{error}}</p>{{/error}}
          <h2>[[质量报告|Quality report]]</h2>
          <table class="meta" id="draft-report">
            <tr><th>[[文件|File]]</th><td>{{fileName}} · {{format}} · [[{{bytes}} 字节|{{bytes}} bytes]]</td></tr>
            <tr><th>[[行数|Rows]]</th><td>{{rows}}</td></tr>
            <tr><th>[[重复行|Duplicate rows]]</th><td>{{duplicateRows}}</td></tr>
            <tr><th>[[质量得分|Quality score]]</th><td id="draft-score">{{score}}</td></tr>
            {{#dimensions}}<tr><th>{{dimension}}</th><td>{{score}}</td></tr>{{/dimensions}}
            <tr><th>[[建议分级|Proposed grade]]</th><td id="draft-grade">{{proposed}}<ul>{{#reasons}}<li>{{text}}</li>{{/reasons}}</ul></td></tr>
          </table>
          <form method="post" action="/publish/drafts/{{id}}" class="stack" id="publish-form">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <h2>[[字段与脱敏|Columns and masking]]</h2>
            <table class="grid" id="draft-columns">
              <tr><th>[[字段|Column]]</th><th>[[类型|Type]]</th><th>[[空值|Nulls]]</th><th>[[疑似个人信息|Looks personal]]</th><th>[[交付时脱敏|Masking on delivery]]</th></tr>
              {{#columns}}<tr><td>{{name}}</td><td>{{type}}</td><td>{{nulls}}</td>
                <td>{{#sensitive}}{{sensitive}} ({{share}}){{/sensitive}}{{^sensitive}}—{{/sensitive}}</td>
                <td>{{#sensitive}}<label class="visually-hidden" for="mask-{{index}}">[[脱敏|Masking of]] {{name}}</label>
                  <select id="mask-{{index}}" name="mask.{{index}}">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{/sensitive}}{{^sensitive}}—{{/sensitive}}</td></tr>{{/columns}}
            </table>
            {{#hasSensitive}}<p class="hint">[[重要数据和核心数据一律脱敏并加水印交付。|Important and core data always leave masked and watermarked.]]</p>{{/hasSensitive}}
            <label><input type="checkbox" name="watermark"{{#watermark}} checked{{/watermark}}> [[交付时加水印|Watermark every delivery]]</label>
            <h2>[[描述|Description]]</h2>
            <label for="title">[[标题|Title]] *</label>
            <input id="title" name="title" value="{{title}}" required maxlength="300">
            <label for="description">[[说明|Description]]</label>
            <textarea id="description" name="description" rows="4" maxlength="4000">{{description}}</textarea>
            <label for="keywords">[[关键词（逗号分隔）|Keywords (comma-separated)]]</label>
            <input id="keywords" name="keywords" value="{{keywords}}">
            <label for="sector">[[行业|Sector]] *</label>
            <select id="sector" name="sector" required><option value="">— [[请选择|choose]] —</option>{{#sectors}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/sectors}}</select>
            <label for="region">[[地区|Region]]</label>
            <select id="region" name="region">{{#regions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}} ({{value}})</option>{{/regions}}</select>
            <label for="license">[[许可|Licence]]</label>
            <select id="license" name="license">{{#licences}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/licences}}</select>
            <fieldset class="inline"><legend>[[时间范围|Temporal coverage]]</legend>
              <label for="temporalStart">[[自|From]]</label> <input id="temporalStart" name="temporalStart" type="date" value="{{temporalStart}}">
              <label for="temporalEnd">[[至|To]]</label> <input id="temporalEnd" name="temporalEnd" type="date" value="{{temporalEnd}}">
            </fieldset>
            <label><input type="checkbox" name="profilePublic"{{#profilePublic}} checked{{/profilePublic}}> [[在公开质量页显示统计值|Show the profile's values on the public quality page]]</label>
            <h2>[[分级|Grade]]</h2>
            <label for="grade">[[数据分级|Grade (GB/T 43697)]]</label>
            <select id="grade" name="grade">{{#grades}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/grades}}</select>
            <label for="gradeReason">[[调整理由（降低分级时必填）|Reason for a different grade (required when lower than proposed)]]</label>
            <textarea id="gradeReason" name="gradeReason" rows="2" maxlength="1000">{{gradeReason}}</textarea>
            <h2>[[使用条件|Offer]]</h2>
            {{#isUpdate}}<label><input type="checkbox" name="keepOffer" id="keep-offer"{{#keepOffer}} checked{{/keepOffer}}> [[沿用当前使用条件（不勾选则按下面的选择重写）|Keep the current offer (untick to write it from the choices below)]]</label>
            <ul class="terms">{{#currentTerms}}<li>{{.}}</li>{{/currentTerms}}</ul>{{/isUpdate}}
            <fieldset><legend>[[允许的用途（不选即不限）|Purposes allowed (none ticked: any)]]</legend>
              {{#purposes}}<label class="choice"><input type="checkbox" name="offer.purpose" value="{{value}}"{{#checked}} checked{{/checked}}> {{value}}</label>{{/purposes}}
            </fieldset>
            <label for="offer-region">[[接收方所在地区|Recipients within]]</label>
            <select id="offer-region" name="offer.region"><option value="">[[不限|anywhere]]</option>{{#offerRegions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}} ({{value}})</option>{{/offerRegions}}</select>
            <label for="offer-until">[[有效期至（含当日）|Valid until (inclusive)]]</label>
            <input id="offer-until" name="offer.until" type="date" value="{{until}}">
            <label for="offer-max">[[每份合约最多交付次数（空为不限）|Deliveries per agreement (empty: unlimited)]]</label>
            <input id="offer-max" name="offer.maxDeliveries" inputmode="numeric" value="{{maxDeliveries}}">
            <label for="offer-price">[[每次交付价格（元，空为免费）|Price per delivery in yuan (empty: free)]]</label>
            <input id="offer-price" name="offer.price" inputmode="decimal" value="{{price}}">
            <button type="submit" id="publish-button">[[确认发布|Publish]]</button>
          </form>
          <form method="post" action="/publish/drafts/{{id}}/discard" class="inline">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" class="secondary">[[放弃草稿|Discard the draft]]</button>
          </form>
        </section>
        """

    static let publisher = """
        <section class="publisher">
          <h1>[[我的发布|Publishing]]</h1>
          {{#published}}<p class="ok" role="status" id="published">[[已发布：|Published:]] <a href="/datasets/{{published}}">{{publishedTitle}}</a> <code>{{published}}</code></p>{{/published}}
          {{#withdrawn}}<p class="ok" role="status">[[已下架：|Withdrawn:]] <code>{{withdrawn}}</code></p>{{/withdrawn}}
          <p><a class="button" href="/publish">+ [[发布新数据产品|Publish a data product]]</a></p>
          <h2>[[数据产品|Products]]</h2>
          {{#hasProducts}}<table class="grid" id="products">
            <tr><th>[[标题|Title]]</th><th>[[版本|Version]]</th><th>[[分级|Grade]]</th><th>[[质量|Quality]]</th><th>[[更新|Modified]]</th><th>[[下架|Withdraw]]</th></tr>
            {{#products}}<tr><td><a href="/datasets/{{identifier}}">{{title}}</a><br><code>{{identifier}}</code></td><td>v{{version}}</td><td>{{grade}}</td><td>{{score}}</td><td>{{modified}}</td>
              <td><form method="post" action="/publisher/datasets/{{identifier}}/withdraw"><input type="hidden" name="csrf" value="{{csrf}}">
                <label><input type="checkbox" name="confirm"> [[确认|confirm]]</label> <button type="submit" class="secondary">[[下架|Withdraw]]</button></form>
                <a href="/publish?product={{identifier}}">[[发布新版本|New version]]</a></td></tr>{{/products}}
          </table>{{/hasProducts}}
          {{#moreProducts}}<p><a href="{{moreProducts}}">[[更多产品|More products]] →</a></p>{{/moreProducts}}
          {{^hasProducts}}<p class="empty">[[还没有发布数据产品。|Nothing published yet.]]</p>{{/hasProducts}}
          <h2>[[收到的申请|Incoming requests]]</h2>
          {{#hasIncoming}}<table class="grid" id="incoming">
            <tr><th>[[数据产品|Product]]</th><th>[[申请方|Consumer]]</th><th>[[用途|Purpose]]</th><th>[[状态|State]]</th><th>[[原因|Reasons]]</th><th>[[更新|Updated]]</th></tr>
            {{#incoming}}<tr><td>{{title}}</td><td><code>{{consumer}}</code></td><td>{{purpose}}</td><td>{{state}}</td><td>{{reasons}}</td><td>{{updated}}</td></tr>{{/incoming}}
          </table>{{/hasIncoming}}
          {{^hasIncoming}}<p class="empty">[[暂无申请。|No requests yet.]]</p>{{/hasIncoming}}
          <h2>[[生效的合约与使用|Agreements and usage]]</h2>
          {{#hasAgreements}}<table class="grid" id="agreements">
            <tr><th>[[数据产品|Product]]</th><th>[[使用方|Consumer]]</th><th>[[用途|Purpose]]</th><th>[[签约|Agreed]]</th><th>[[已交付|Delivered]]</th><th>[[进行中|Open]]</th><th>[[剩余|Remaining]]</th></tr>
            {{#agreements}}<tr><td>{{title}}</td><td><code>{{consumer}}</code></td><td>{{purpose}}</td><td>{{agreedAt}}</td><td>{{deliveries}}</td><td>{{open}}</td><td>{{remaining}}</td></tr>{{/agreements}}
          </table>{{/hasAgreements}}
          {{^hasAgreements}}<p class="empty">[[暂无合约。|No agreements yet.]]</p>{{/hasAgreements}}
        </section>
        """

    /// Sends the chosen file as the request body so the page can show the upload's progress,
    /// then opens the draft's review page (or shows the node's reason in place).
    static let script = """
        (function () {
          var form = document.getElementById('upload');
          if (!form) { return; }
          var input = document.getElementById('file');
          var bar = document.getElementById('upload-progress');
          var status = document.getElementById('upload-status');
          var button = document.getElementById('upload-button');
          function say(text, failed) { status.textContent = text; status.className = failed ? 'error' : ''; }
          form.addEventListener('submit', function (event) {
            event.preventDefault();
            var file = input.files && input.files[0];
            if (!file) { say(form.dataset.empty, true); return; }
            var type = /\\.(jsonl|ndjson)$/i.test(file.name) ? 'application/jsonl' : 'text/csv';
            var xhr = new XMLHttpRequest();
            xhr.open('POST', form.getAttribute('action'));
            xhr.setRequestHeader('Content-Type', type);
            xhr.setRequestHeader('X-CSRF-Token', form.dataset.csrf);
            xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name));
            xhr.upload.onprogress = function (e) {
              if (!e.lengthComputable) { return; }
              bar.max = e.total; bar.value = e.loaded;
              say(Math.floor(e.loaded * 100 / e.total) + '% · ' + e.loaded + ' / ' + e.total + ' bytes', false);
            };
            xhr.upload.onload = function () { say(form.dataset.assessing, false); };
            xhr.onload = function () {
              var answer = {};
              try { answer = JSON.parse(xhr.responseText); } catch (ignored) {}
              if (xhr.status === 201 && answer.location) { window.location.assign(answer.location); return; }
              say(answer.detail || (form.dataset.failed + ' (' + xhr.status + ')'), true);
              button.disabled = false;
            };
            xhr.onerror = function () { say(form.dataset.offline, true); button.disabled = false; };
            button.disabled = true;
            xhr.send(file);
          });
        })();
        """
}
