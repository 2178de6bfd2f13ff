import DataspaceCore
import Mustache

/// The quality report page as a Mustache template. `{{…}}` escapes what it inserts, so column
/// names, rule texts and grade reasons from an uploaded file cannot become markup. The values
/// come from `QualityReportHTML.context`, formatted there.
enum QualityReportTemplate {
    /// The template for each language (`[[中文|English]]` resolved); nil only if it failed to parse.
    static let parsed: [BilingualText.Choice: MustacheTemplate] = Dictionary(
        uniqueKeysWithValues: BilingualText.Choice.allCases.compactMap { choice in
            (try? MustacheTemplate(string: BilingualText.resolve(source, choice))).map { (choice, $0) }
        })

    static let source = """
        <!doctype html>
        <html lang="{{htmlLang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} — [[质量报告|Quality report]]</title>
        <style>
        body{font:14px/1.5 system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:2rem auto;max-width:1000px;padding:0 1rem;color:#1d2430}
        h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde3ea;padding-bottom:.3rem}
        table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eef1f4;padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{background:#f5f7fa}.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#66707c}
        .grade{display:inline-block;padding:.2rem .6rem;border-radius:4px;background:#eef4ff;font-weight:600}
        .grade.important{background:#fff1e0}.grade.core{background:#ffe3e3}code{font-size:.9em}
        .charts{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
        .failed{color:#b3261e}
        </style></head><body>
        <h1>{{title}}</h1>
        <p><span class="grade {{gradeClass}}">{{gradeLabel}} {{grade}}</span> [[质量总分|overall score]] <strong>{{overall}}</strong>{{#counts}} · {{text}}{{/counts}}</p>
        {{#hasMeta}}<p class="muted">{{#meta}}{{^first}} · {{/first}}{{text}}{{#code}}<code>{{code}}</code>{{/code}}{{after}}{{/meta}}</p>{{/hasMeta}}

        <h2>[[质量维度|Quality dimensions]]</h2>
        <div class="charts">
        {{#radar}}<svg role="img" aria-label="score radar" width="300" height="300" viewBox="0 0 300 300" xmlns="http://www.w3.org/2000/svg">
        {{#rings}}<polygon points="{{points}}" fill="none" stroke="#dde3ea"/>{{/rings}}
        {{#axes}}<line x1="{{x1}}" y1="{{y1}}" x2="{{x2}}" y2="{{y2}}" stroke="#dde3ea"/>{{/axes}}
        {{#labels}}<text x="{{x}}" y="{{y}}" font-size="11" text-anchor="middle">{{text}}</text>{{/labels}}
        <polygon points="{{shape}}" fill="rgba(37,99,235,.25)" stroke="#2563eb" stroke-width="2"/>
        </svg>{{/radar}}
        <table style="flex:1;min-width:420px"><tr><th>[[维度|dimension]]</th><th class="num">[[得分|score]]</th><th class="num">[[权重|weight]]</th><th>[[公式|formula]] (ISO/IEC 25024, X = A/B)</th></tr>
        {{#dimensions}}<tr><td>{{name}}</td><td class="num">{{score}}</td><td class="num">{{weight}}</td><td><code>{{formula}}</code></td></tr>
        {{/dimensions}}</table>
        </div>

        <h2>[[各列完整性|Completeness per column]]</h2>
        {{#completeness}}<svg role="img" aria-label="completeness per column" width="{{width}}" height="{{height}}" xmlns="http://www.w3.org/2000/svg">
        {{#rows}}<text x="{{labelX}}" y="{{textY}}" font-size="12" text-anchor="end">{{name}}</text><rect x="{{barX}}" y="{{barY}}" width="{{barWidth}}" height="14" fill="#eef1f4"/><rect x="{{barX}}" y="{{barY}}" width="{{fill}}" height="14" fill="{{color}}"/><text x="{{percentX}}" y="{{textY}}" font-size="12">{{percent}}</text>
        {{/rows}}</svg>{{/completeness}}

        <h2>[[值类型分布|Value types per column]]</h2>
        {{#types}}<svg role="img" aria-label="value types per column" width="{{width}}" height="{{height}}" xmlns="http://www.w3.org/2000/svg">
        {{#rows}}<text x="{{labelX}}" y="{{textY}}" font-size="12" text-anchor="end">{{name}}</text>{{#segments}}<rect x="{{x}}" y="{{barY}}" width="{{width}}" height="14" fill="{{color}}"><title>{{type}}: {{count}}</title></rect>{{/segments}}
        {{/rows}}{{#legend}}<rect x="{{x}}" y="{{y}}" width="10" height="10" fill="{{color}}"/><text x="{{textX}}" y="{{textY}}" font-size="11">{{type}}</text>{{/legend}}
        </svg>{{/types}}

        <h2>[[敏感数据（仅计数，不含值）|Sensitive data (counts only, never values)]]</h2>
        {{#hasSensitive}}<table><tr><th>[[列|column]]</th><th>[[类别|kind]]</th><th class="num">[[命中值|values]]</th><th class="num">[[已检查|checked]]</th><th class="num">[[占比|share]]</th></tr>
        {{#sensitive}}<tr><td>{{column}}</td><td>{{kind}}</td><td class="num">{{count}}</td><td class="num">{{checked}}</td><td class="num">{{share}}</td></tr>
        {{/sensitive}}</table>{{/hasSensitive}}{{^sensitive}}<p class="muted">[[未发现|none detected]]</p>{{/sensitive}}

        <h2>[[分级（GB/T 43697-2024）|Grade (GB/T 43697-2024)]]</h2>
        <ul>{{#reasons}}<li>{{.}}</li>{{/reasons}}</ul>
        <p>[[状态：|status:]] <strong>{{status}}</strong>{{#by}} [[决定人|by]] {{by}}{{/by}}{{#reason}} — {{reason}}{{/reason}}</p>
        {{#protection}}<p>[[交付保护：|delivery protection:]] {{#masking}}{{^first}}, {{/first}}<code>{{column}}</code> → {{rule}}{{/masking}}{{#watermark}}{{^first}}; {{/first}}[[水印（容量 {{capacity}} 个值）|watermark (capacity {{capacity}} values)]]{{/watermark}}</p>{{/protection}}

        {{#rules}}<h2>[[规则|Rules]]{{#implied}}[[（由数据画像推定）| (implied by the profile)]]{{/implied}}</h2>
        <table><tr><th>[[规则|rule]]</th><th class="num">[[已检查|checked]]</th><th class="num">[[未通过|failed]]</th><th>[[样例行|sample rows]]</th></tr>
        {{#items}}<tr><td><code>{{rule}}</code></td><td class="num">{{checked}}</td><td class="num{{#failing}} failed{{/failing}}">{{failed}}</td><td>{{samples}}</td></tr>
        {{/items}}</table>{{/rules}}

        <h2>[[列|Columns]]</h2>
        <table><tr><th>[[列|column]]</th><th>[[类型|type]]</th><th class="num">[[不同值|distinct]]</th><th>[[最小|min]]</th><th>[[最大|max]]</th><th class="num">[[均值|mean]]</th><th class="num">[[标准差|stddev]]</th><th>[[常见模式|top patterns]]</th></tr>
        {{#columns}}<tr><td>{{name}}</td><td>{{type}}</td><td class="num">{{distinct}}</td><td>{{min}}</td><td>{{max}}</td><td class="num">{{mean}}</td><td class="num">{{stddev}}</td><td>{{#patterns}}{{^first}}<br>{{/first}}<code>{{pattern}}</code> {{count}}{{/patterns}}</td></tr>
        {{/columns}}</table>
        </body></html>

        """
}
