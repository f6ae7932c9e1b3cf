#!/bin/sh
# test_network.sh: the network (docs/network.md) end to end.  Coverage is
# checked against SpatiaLite's own predicates (area codes through
# area_members, ST_Contains for polygons, the ellipsoidal ST_Distance for a
# base and radius), not against the command's report.
set -eu
B=${SINSPACE_BIN:?}
SRC=${SINSPACE_SOURCE_ROOT:?}
T=$(mktemp -d)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$T"' EXIT
passed=0
fail() { echo "FAIL: $*"; echo "network: $passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); }
D=$SRC/samples/data
DB=$T/net.sqlite
sq() { sqlite3 -cmd "SELECT load_extension('mod_spatialite');" "$DB" "$@" | sed '/^$/d'; }

"$B" -q init "$DB"
[ "$(stat -c %a "$DB.key")" = 600 ] || fail "key file mode"
ok
"$B" -q import "$DB" --level province "$D/chiang_mai_province.geojson" "$D/bangkok_province.geojson"
"$B" -q import "$DB" --level district "$D/chiang_mai_amphoe.geojson"
"$B" -q import "$DB" --level subdistrict "$D/chiang_mai_tambon.geojson"
"$B" -q import "$DB" --level district --code-field dcode --name-field dname_e \
  --name-local-field dname "$D/bangkok_districts.geojson"
cat > "$T/w.csv" <<'CSV'
id,name,sector,lon,lat,status,observed,risk
KT-0001,Hotel,hotel_guesthouse,100.57768,13.70486,active,2026-11-01,1.89
KT-0003,Massage,massage_parlour,100.58639,13.71485,active,2026-11-01,2.6
KT-0004,Boat,fishing,100.56641,13.71277,active,2026-11-01,2.64
CM-00118,Farm,agriculture,99.21091,19.87979,active,2026-11-01,2.49
CM-00221,Karaoke,karaoke_bar,99.19266,19.9181,active,2026-11-01,2.37
CM-00235,Farm,agriculture,98.92666,19.40822,active,2026-11-01,2.35
CM-00333,Venue,entertainment_venue,98.96157,19.34886,active,2026-11-01,2.37
CM-00162,Venue,entertainment_venue,98.90807,18.95552,active,2026-11-01,2.48
CM-00175,Venue,entertainment_venue,98.90282,18.89102,active,2026-11-01,2.41
CM-00237,Hotel,hotel_guesthouse,98.9498,18.91793,active,2026-11-01,2.41
CM-00151,Massage,massage_parlour,98.98277,18.80721,active,2026-11-01,2.79
CM-00182,Agency,domestic_work_agency,98.95278,18.74899,active,2026-11-01,2.45
CM-00184,Massage,massage_parlour,99.02885,18.77443,active,2026-11-01,2.49
CSV
"$B" -q import "$DB" "$T/w.csv"
"$B" -q responders import "$DB" "$D/responders.csv"
# A polygon responder (Mae Rim's south) and a base-and-radius one (old city).
cat > "$T/poly.geojson" <<'JSON'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"MR-POLY-04","name":"Polygon Team (fictional)","role":"social_worker","expertise":"sexual_exploitation","languages":"th","phone":"+66 53 000 0004"},
"geometry":{"type":"Polygon","coordinates":[[[98.85,18.87],[98.93,18.87],[98.93,18.93],[98.85,18.93],[98.85,18.87]]]}}]}
JSON
"$B" -q responders import "$DB" "$T/poly.geojson"
printf 'id,name,role,expertise,languages,phone,lon,lat,radius\nCM-RAD-05,Radius Team (fictional),health,sexual_exploitation,th;my,+66 53 000 0005,98.99,18.79,3km\n' > "$T/rad.csv"
"$B" -q responders import "$DB" "$T/rad.csv"
[ "$(sq "SELECT count(*) FROM responders")" = 5 ] || fail "five responders"
ok

ids() { "$B" -q cover "$DB" "$@" --format csv | tail -n +2 | cut -d, -f2 | sort | tr '\n' ' '; }

# The must-show.
[ "$(ids --workplace KT-0001)" = "KT-LAB-01 KT-OUT-02 " ] || fail "KT-0001: $(ids --workplace KT-0001)"
[ "$(ids --area Fang)" = "" ] || fail "Fang: $(ids --area Fang)"
"$B" -q cover "$DB" --gaps --format csv > "$T/gaps.csv"
grep -q '^KT-' "$T/gaps.csv" && fail "a Khlong Toei gap"
grep -q '^CM-00118,' "$T/gaps.csv" || fail "Fang's CM-00118 is not a gap"
grep -q '^CM-00235,' "$T/gaps.csv" && fail "Chiang Dao's CM-00235 is covered"
ok

# Coverage of every workplace against SpatiaLite's predicates.
for w in $(sq "SELECT ext_id FROM workplaces ORDER BY ext_id"); do
  ref=$(sq "SELECT r.ext_id FROM responders r, workplaces w WHERE w.ext_id = '$w' AND r.active = 1 AND (
      EXISTS (SELECT 1 FROM area_members m JOIN areas a ON a.id = m.area_id
              WHERE m.workplace_id = w.id AND instr(';' || r.areas || ';', ';' || a.code || ';') > 0)
      OR (r.coverage IS NOT NULL AND ST_Contains(r.coverage, w.geom) = 1)
      OR (r.base IS NOT NULL AND r.radius_m IS NOT NULL AND ST_Distance(r.base, w.geom, 1) <= r.radius_m))
      ORDER BY r.ext_id" | tr '\n' ' ')
  got=$(ids --workplace "$w")
  [ "$ref" = "$got" ] || fail "$w: cover '$got', SpatiaLite '$ref'"
done
# The polygon and the radius each cover someone, so both rules were tried.
[ "$(ids --workplace CM-00175)" = "MR-POLY-04 " ] || fail "polygon"
[ "$(ids --workplace CM-00151)" = "CM-RAD-05 " ] || fail "radius"
ok

# Ranking: a fishing boat wants the labour inspectors, a massage parlour
# the outreach team.
first() { "$B" -q cover "$DB" "$@" --format csv | sed -n 2p | cut -d, -f2; }
[ "$(first --workplace KT-0004)" = KT-LAB-01 ] || fail "fishing ranking"
[ "$(first --workplace KT-0003)" = KT-OUT-02 ] || fail "massage ranking"
ok

# Gaps with a need: Khlong Toei has Burmese (my) speakers, Chiang Dao not.
"$B" -q cover "$DB" --gaps --need my --format csv > "$T/gaps-my.csv"
grep -q '^CM-00235,.*no responder with my' "$T/gaps-my.csv" || fail "need my"
grep -q '^KT-' "$T/gaps-my.csv" && fail "KT lacks my"
"$B" -q cover "$DB" --gaps --need nonsense_code > /dev/null 2>&1 && fail "bad need accepted"
ok

# No phone or e-mail in the database file or its WAL, while another
# reader keeps the WAL alive.
sqlite3 "$DB" "BEGIN; SELECT count(*) FROM workplaces;" ".shell sleep 4" "COMMIT;" > /dev/null 2>&1 &
holder=$!
sleep 1
"$B" -q responders import "$DB" "$D/responders.csv" --overwrite
# The WAL holds the rows just written (their names in clear): the check
# below looks where the phones would be.
grep -q -a "Port Labour" "$DB-wal" || fail "the WAL holds no new rows"
for f in "$DB" "$DB-wal"; do
  [ -e "$f" ] || continue
  for p in "000 0001" "000 0002" "000 0003" "000 0004" "000 0005" "kt-labour@" "fictional-kt-labour"; do
    n=$(grep -c -a "$p" "$f" || true)
    [ "$n" = 0 ] || fail "$p in $(basename "$f")"
  done
done
wait "$holder" || true
holder=
ok

# No contact in any partner or public export of any layer, nor in an
# internal one without --contacts; an internal one with it has them.
for layer in workplaces observations areas zones fences tiles responders; do
  for aud in public partner internal; do
    for ext in geojson csv; do
      "$B" -q export "$DB" "$layer" --audience "$aud" -o "$T/x-$layer-$aud.$ext"
      if grep -q -e "000 000" -e "example.invalid" "$T/x-$layer-$aud.$ext"; then
        fail "contact in $layer $aud $ext"
      fi
    done
  done
done
"$B" -q export "$DB" responders --audience internal --contacts -o "$T/c.csv"
grep -q "+66 2 000 0001" "$T/c.csv" || fail "internal --contacts lacks the phone"
"$B" -q export "$DB" responders --audience partner --contacts -o "$T/p.csv" 2>/dev/null && fail "partner contacts"
ok

# --contacts: shown, and each read is an audit row.
before=$(sq "SELECT count(*) FROM audit WHERE filters = 'contacts'")
"$B" -q cover "$DB" --workplace KT-0001 --contacts --format csv > "$T/c1.csv"
grep -q "+66 2 000 0001" "$T/c1.csv" || fail "cover --contacts lacks the phone"
"$B" -q cover "$DB" --workplace KT-0001 --format csv | grep -q "000 000" && fail "contacts without --contacts"
"$B" -q responders list "$DB" --contacts > /dev/null
after=$(sq "SELECT count(*) FROM audit WHERE filters = 'contacts'")
[ $((after - before)) = 2 ] || fail "contact reads audited: $before -> $after"
ok

# Without the key: everything works, contacts withheld.  A wrong key: a
# clear refusal (exit 1), never garbage.
mv "$DB.key" "$T/saved.key"
"$B" -q cover "$DB" --workplace KT-0001 --contacts --format csv 2>/dev/null > "$T/w.out" || fail "no key: exit $?"
grep -q withheld "$T/w.out" || fail "no key: not withheld"
grep -q "000 000" "$T/w.out" && fail "no key: a phone"
"$B" -q cover "$DB" --gaps > /dev/null || fail "no key: gaps"
printf '%064d\n' 7 > "$DB.key"; chmod 600 "$DB.key"
set +e
"$B" -q cover "$DB" --workplace KT-0001 --contacts > "$T/wrong.out" 2> "$T/wrong.err"
rc=$?
set -e
[ $rc = 1 ] || fail "wrong key: exit $rc"
grep -q "does not open" "$T/wrong.err" || fail "wrong key message: $(cat "$T/wrong.err")"
grep -q "000 000" "$T/wrong.out" && fail "wrong key printed a phone"
mv "$T/saved.key" "$DB.key"
ok

# A sealed value moved to another responder does not open there.
cp "$DB" "$T/swap.sqlite"; cp "$DB.key" "$T/swap.sqlite.key"
sqlite3 "$T/swap.sqlite" "UPDATE responders SET phone = (SELECT phone FROM responders WHERE ext_id = 'KT-LAB-01') WHERE ext_id = 'KT-OUT-02'"
"$B" -q cover "$T/swap.sqlite" --workplace KT-0001 --contacts > /dev/null 2> "$T/swap.err" && fail "swapped value opened"
grep -q "KT-OUT-02" "$T/swap.err" || fail "swap message: $(cat "$T/swap.err")"
ok

# Rotation: the old key no longer opens, the new one gives the same contacts.
cp "$DB.key" "$T/old.key"
"$B" -q key rotate "$DB"
cmp -s "$DB.key" "$T/old.key" && fail "key unchanged"
[ "$(stat -c %a "$DB.key")" = 600 ] || fail "rotated key mode"
"$B" -q cover "$DB" --workplace KT-0001 --contacts --format csv > "$T/c2.csv"
cmp -s "$T/c1.csv" "$T/c2.csv" || fail "contacts changed by rotation"
"$B" -q cover "$DB" --workplace KT-0001 --contacts --key-file "$T/old.key" > /dev/null 2>&1 && fail "old key still opens"
ok

# Import rules: a bad role names line and column (exit 3, nothing
# written); an id stored already needs --overwrite.
n0=$(sq "SELECT count(*) FROM responders")
printf 'id,name,role,areas\nX-1,Team,police,1033\nX-2,Team,sheriff,1033\n' > "$T/bad.csv"
set +e
"$B" -q responders import "$DB" "$T/bad.csv" 2> "$T/bad.err"; rc=$?
set -e
[ $rc = 3 ] || fail "bad role: exit $rc"
grep -q "line 3: column 'role'" "$T/bad.err" || fail "bad role message: $(cat "$T/bad.err")"
[ "$(sq "SELECT count(*) FROM responders")" = "$n0" ] || fail "bad file wrote rows"
set +e
"$B" -q responders import "$DB" "$D/responders.csv" 2> "$T/dup.err"; rc=$?
set -e
[ $rc = 3 ] || fail "stored id: exit $rc"
"$B" -q responders import "$DB" "$D/responders.csv" --overwrite || fail "--overwrite"
"$B" -q responders rm "$DB" CM-RAD-05
[ "$(sq "SELECT count(*) FROM audit WHERE command = 'responders rm'")" = 1 ] || fail "rm audit"
ok

# map --gaps draws (and reads the gaps through the audited call); its
# page never carries a contact.
g0=$(sq "SELECT count(*) FROM audit WHERE command = 'cover' AND filters LIKE 'gaps%'")
"$B" -q map "$DB" --area chiang-mai --gaps --no-basemap -o "$T/gaps.svg"
g1=$(sq "SELECT count(*) FROM audit WHERE command = 'cover' AND filters LIKE 'gaps%'")
[ $((g1 - g0)) = 1 ] || fail "map --gaps audit"
grep -q -e "000 000" -e "example.invalid" "$T/gaps.svg" && fail "contact on a map"
ok

# The "who to call" panel of an internal map reads contacts: audited.
c0=$(sq "SELECT count(*) FROM audit WHERE command = 'cover' AND filters = 'contacts'")
"$B" -q map "$DB" --area 1033 --contacts --no-basemap -o "$T/call.png"
c1=$(sq "SELECT count(*) FROM audit WHERE command = 'cover' AND filters = 'contacts'")
[ $((c1 - c0)) = 1 ] || fail "map --contacts audit"
"$B" -q map "$DB" --area 1033 --no-basemap -o "$T/nocall.png"
c2=$(sq "SELECT count(*) FROM audit WHERE command = 'cover' AND filters = 'contacts'")
[ "$c2" = "$c1" ] || fail "a map without --contacts read contacts"
ok

echo "network: $passed passed, 0 failed"
