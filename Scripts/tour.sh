#!/bin/sh
# Three nodes on this machine: an authority (auth), a data bureau (gz) and an institute (inst).
# Run it in an empty directory with `dataspace` on the PATH; it stops its nodes when it ends.
set -eu
AUTH=${AUTH_PORT:-9000} GZ=${GZ_PORT:-9001} INST=${INST_PORT:-9002}

# 1. Each node: its own directory, key pair, DID, config.json and admin token.
dataspace init --dir auth --name "数据空间登记中心" --credit-code 11110000MB1A2346XP --region 110000 \
               --sector urban-governance --port "$AUTH" --authority
dataspace init --dir gz --name "广州市政务服务和数据管理局" --credit-code 11440100MB2C921900 \
               --region 440100 --sector urban-governance --port "$GZ"
dataspace init --dir inst --name "华南城市环境研究院" --credit-code 12440000455861972M \
               --region 440104 --sector scientific-research --port "$INST"
dataspace serve --dir auth > auth.log 2>&1 & NODES="$!"    # each node logs JSON lines to its file
dataspace serve --dir gz > gz.log 2>&1 & NODES="$NODES $!"
dataspace serve --dir inst > inst.log 2>&1 & NODES="$NODES $!"
trap 'kill $NODES' EXIT                                      # the nodes stop when the script ends
dataspace status --dir auth --wait 30
dataspace status --dir gz --wait 30
dataspace status --dir inst --wait 30

# 2. Membership: a signed application, the authority's approval, the credential.
APPLICATION=$(dataspace register --dir gz --authority "http://127.0.0.1:$AUTH" --get applicationId)
dataspace admin applications --dir auth --status pending
dataspace admin approve --dir auth "$APPLICATION"
dataspace membership --dir gz --refresh
dataspace admin approve --dir auth "$(dataspace register --dir inst --authority "http://127.0.0.1:$AUTH" --get applicationId)"
dataspace membership --dir inst --refresh

# 3. A file, its quality rules and an offer (GBK, ';' or tab-separated exports work the same).
cat > air.csv <<'EOF'
station,district,time,aqi,pm25
GZ001,天河区,2026-11-01 08:00,42,18.5
GZ002,越秀区,2026-11-01 08:00,57,24.1
GZ003,海珠区,2026-11-01 08:00,61,26.0
GZ001,天河区,2026-11-01 09:00,45,19.2
GZ002,越秀区,2026-11-01 09:00,63,27.4
GZ003,海珠区,2026-11-01 09:00,58,25.3
EOF
cat > quality.yaml <<'EOF'
columns:
  aqi: { type: integer, min: 0, max: 500, required: true }
unique: [station, time]
freshness: { column: time, interval: P3650D }
EOF
cat > offer.json <<'EOF'
{"permission": [{"action": "use", "constraint": [
  {"leftOperand": "purpose", "operator": "isA", "rightOperand": "research"},
  {"leftOperand": "count", "operator": "lteq", "rightOperand": "2"}]}]}
EOF

# 4. Profile, publish, grade, search, update, resolve.
dataspace quality air.csv --rules quality.yaml --html report.html
AIR=$(dataspace publish air.csv --dir gz --title "广州市空气质量监测数据" --description "逐小时AQI" \
      --keywords "空气质量,AQI" --sector green-low-carbon --rules quality.yaml --policy offer.json --get identifier)
dataspace grade --dir gz "$AIR" general-2 --reason "public monitoring data"   # recorded with who and why
dataspace search --dir gz 空气
dataspace update --dir gz "$AIR" --title "广州市空气质量监测数据（逐小时）"     # everything else carries over
dataspace show --dir gz "$AIR"
dataspace resolve --dir auth "$AIR"                                            # the authority points to gz
dataspace catalog --dir inst --provider "http://127.0.0.1:$GZ" --query 空气     # DSP catalog, as a member

# 5. A contract and two deliveries; the offer allows no third.
AGREEMENT=$(dataspace negotiate "$AIR" --dir inst --provider "http://127.0.0.1:$GZ" --purpose research --get agreement.id)
dataspace agreements --dir inst
dataspace fetch "$AGREEMENT" --dir inst -o received.csv    # progress, SHA-256 checked, provider receipt kept
dataspace fetch "$AGREEMENT" --dir inst -o again.csv
dataspace fetch "$AGREEMENT" --dir inst -o third.csv || echo "third fetch refused: exit $?"
dataspace reconcile "$AGREEMENT" --dir inst                # both sides count 2 deliveries
dataspace usage --dir gz

# 6. Computation in place: core-grade records answer differentially private queries, never rows.
cat > visits.csv <<'EOF'
patient,district,age,cost
P1,天河区,34,120.50
P1,天河区,34,88.00
P2,越秀区,71,530.20
P3,海珠区,45,210.00
P4,天河区,62,1200.00
P5,越秀区,29,75.30
P6,海珠区,80,640.00
P7,天河区,55,310.10
EOF
cat > compute.json <<'EOF'
{"permission": [{"action": "compute", "constraint": [
  {"leftOperand": "purpose", "operator": "isA", "rightOperand": "research"},
  {"leftOperand": "epsilon", "operator": "lteq", "rightOperand": 1.0},
  {"leftOperand": "queryEpsilon", "operator": "lteq", "rightOperand": 0.5}]}]}
EOF
VISITS=$(dataspace publish visits.csv --dir gz --title "门诊就诊记录" --description "仅可计算，记录不出域" --sector healthcare \
      --grade core --privacy-unit patient --bounds age=0:120 --bounds cost=0:5000 --public-key district --policy compute.json --get identifier)
DP=$(dataspace negotiate "$VISITS" --dir inst --provider "http://127.0.0.1:$GZ" --purpose research --get agreement.id)
dataspace query "$DP" "SELECT district, COUNT(*) AS visits, AVG(cost) FROM data GROUP BY district" --epsilon 0.5 --dir inst
dataspace budget "$DP" --dir inst                          # epsilon: 0.5 spent, 0.5 left
dataspace query "$DP" "SELECT MAX(cost) FROM data" --dir inst || echo "MAX refused: exit $?"
cat > match.json <<'EOF'
{"permission": [{"action": "compute", "constraint": [
  {"leftOperand": "psiSetSize", "operator": "lteq", "rightOperand": 1000},
  {"leftOperand": "psiOutput", "operator": "eq", "rightOperand": "intersection"}]}]}
EOF
MATCH=$(dataspace publish visits.csv --dir gz --title "就诊患者名录" --description "仅可隐私求交" --sector healthcare \
      --grade core --match-column patient --policy match.json --get identifier)
PSI=$(dataspace negotiate "$MATCH" --dir inst --provider "http://127.0.0.1:$GZ" --purpose research --get agreement.id)
printf 'patient\nP2\nP7\nP9\n' > ours.csv
dataspace psi "$PSI" ours.csv --dir inst                   # P2 and P7 match; gz learns only that 3 were sent

# 7. Evidence: every step above is an entry in gz's log, witnessed by the authority.
dataspace ledger list --dir gz --type transfer.delivered
ENTRY=$(dataspace ledger list --dir gz --type transfer.delivered --get events.0.index)
dataspace ledger proof "$ENTRY" --dir gz -o delivery.tlog-proof
dataspace ledger verify delivery.tlog-proof --key "$(dataspace ledger status --dir gz --get verifierKey)" \
               --witness "$(dataspace ledger status --dir auth --get witness.verifierKey)" --quorum 1   # offline
dataspace ledger verify --log "http://127.0.0.1:$GZ"      # recompute every tile of the log

# 8. Withdraw the product; revoke the institute's membership.
dataspace withdraw --dir gz "$AIR"
dataspace admin revoke --dir auth "$(dataspace status --dir inst --get did)"
