-- id: persons
-- title_zh: 人员年末存量（每人每年末一行）
-- title_en: Persons at each year end (stock)
-- grain: person_key × year, for every year end from the first issue year in the data to the as-of year
-- partition_by: year
-- source: DESIGN §8 (stock, highest level, principal region)
-- description: Stock at the end of `year` uses the certificates issued on or before 31 December of that year (or the
-- description: as-of date for the current year) and in force then (DESIGN §18, certificate_terms: not revoked, not
-- description: lapsed), excluding duplicate claims. Every person with at least one counted certificate issued by then
-- description: has a row; `skilled` needs a skill certificate in force (training never counts), so a person whose only
-- description: skill certificate was revoked keeps a row that is not skilled, and a revoked principal certificate
-- description: makes way for the next best (highest level and region fall back).
-- description: highest_rank is the maximum level rank over skill certificates (0 none, 1 l5 … 7 chief); region_code is
-- description: the region of the principal certificate: the skill certificate with the highest rank, then the latest
-- description: issue date, then the largest cert_no (null when the person is not skilled).
--
-- Plan: one aggregation by person. `stock_by_year_end` (crates/skillhouse-query/src/build/stock.rs) keeps, per person, the
-- best skill certificate of each issue year and returns one element per year end from the person's first issue year
-- to the as-of year: the best certificate issued by then, by (rank, issue date, cert_no); a skill certificate of
-- rank 0 (special_competence) still beats none. The first dates are plain MINs: a person has a row at a year end only
-- once a counted certificate was issued, so first_cert_date is the same at every row, and first_skill_date shows from
-- the year of the first skill certificate on. The SQL formulation it replaces (best per person and issue year, each
-- replicated to every later year end and aggregated again by person and year end) hashed 21M groups at 10M
-- certificates and spilled; this hashes the 6.6M persons once.
--
-- Year by year: the model returns the year ends from $from_year on. What came before is `persons_before`, this
-- model's rows at the end of $from_year - 1 (from the previous snapshot; empty when the build starts from nothing).
-- A person with no counted certificate from $from_year on keeps that row at every later year end (the last SELECT).
-- For the others, the row joins the aggregation as a certificate of issue year $from_year dated 31 December of the
-- year before (its real issue date is not stored): every certificate issued from $from_year on is later, and the order
-- between the two is kept. The build carries the year ends before $from_year over from the previous snapshot.
-- On a build from nothing $from_year is 0 and persons_before empty: `$from_year > 0` then removes both branches that
-- read it at planning, so the counted certificates are not read again to find who is touched.
--
-- In force (DESIGN §18): a certificate with rows in certificate_terms counts from each term's start to the last year
-- end before the term's ends_on (`until_year`; null when it has not ended by the as-of date); the others count from
-- their issue year for good. A row from persons_before stands for a principal certificate that was in force then, not
-- for the ones behind it: a person with a term starting or ending in $from_year or later (`refallen`) may fall back
-- to one of those, so their whole history is read again instead of continuing from persons_before. The build
-- recomputes every year when the registers or the validity periods change (carry.rs), so the years before
-- $from_year are right.
WITH terms AS (
    SELECT
        cert_no,
        starts_on,
        CASE WHEN ends_on <= CAST($as_of AS DATE) THEN CAST(date_part('year', ends_on) AS INT) - 1 END AS until_year
    FROM certificate_terms
),
refallen AS (
    SELECT DISTINCT person_key
    FROM certificate_terms
    WHERE CAST($from_year AS INT) > 0
      AND ((ends_on <= CAST($as_of AS DATE) AND CAST(date_part('year', ends_on) AS INT) >= CAST($from_year AS INT))
        OR (starts_on > issue_date AND CAST(date_part('year', starts_on) AS INT) >= CAST($from_year AS INT)))
),
in_force AS (
    SELECT
        c.person_key,
        c.issue_year AS issued_year,
        COALESCE(CAST(date_part('year', t.starts_on) AS INT), c.issue_year) AS issue_year,
        c.issue_date,
        CASE WHEN c.cert_type IN ('qualification', 'skill_level', 'special_operation', 'special_equipment',
                                  'special_competence')
            THEN CAST(c.level_rank AS INT)
        END AS skill_rank,
        c.cert_no,
        c.region_code,
        t.until_year
    FROM certificates AS c
    LEFT JOIN terms AS t ON t.cert_no = c.cert_no
    WHERE NOT c.duplicate_claim
      AND c.issue_date <= CAST($as_of AS DATE)
),
counted AS (
    SELECT person_key, issue_year, issue_date, skill_rank, cert_no, region_code, until_year
    FROM in_force AS f
    WHERE f.issued_year >= CAST($from_year AS INT)
      AND NOT EXISTS (SELECT 1 FROM refallen AS r WHERE r.person_key = f.person_key)
    UNION ALL
    SELECT person_key, issue_year, issue_date, skill_rank, cert_no, region_code, until_year
    FROM in_force AS f
    WHERE CAST($from_year AS INT) > 0
      AND EXISTS (SELECT 1 FROM refallen AS r WHERE r.person_key = f.person_key)
),
-- Persons with a counted certificate from $from_year on: their stock is recomputed, continuing from their row in
-- persons_before. Everyone else keeps that row at every year end from $from_year on (the last SELECT).
touched AS (
    SELECT DISTINCT person_key FROM counted
),
merged AS (
    SELECT
        person_key,
        issue_year,
        issue_date,
        skill_rank,
        cert_no,
        region_code,
        until_year,
        issue_date AS first_cert_date,
        CASE WHEN skill_rank IS NOT NULL THEN issue_date END AS first_skill_date
    FROM counted
    UNION ALL
    SELECT
        b.person_key,
        CAST($from_year AS INT) AS issue_year,
        make_date(CAST($from_year AS INT) - 1, 12, 31) AS issue_date,
        CASE WHEN b.skilled THEN b.highest_rank END AS skill_rank,
        b.principal_cert_no AS cert_no,
        b.region_code,
        CAST(NULL AS INT) AS until_year,
        b.first_cert_date,
        b.first_skill_date
    FROM persons_before AS b
    WHERE CAST($from_year AS INT) > 0
      AND EXISTS (SELECT 1 FROM touched AS t WHERE t.person_key = b.person_key)
      AND NOT EXISTS (SELECT 1 FROM refallen AS r WHERE r.person_key = b.person_key)
),
-- The year ends an untouched person's row is carried to. Unnested here, not in the last SELECT: there the unnest
-- would sit above that SELECT's filter, and a build from nothing (the filter false) would leave an unnest over an
-- empty relation that Ballista cannot send to its scheduler (a plan's empty relation travels without its columns);
-- as one side of a cross join the whole branch is planned away.
carried_years AS (
    SELECT CAST(unnest(range(CAST($from_year AS BIGINT), CAST(date_part('year', CAST($as_of AS DATE)) AS BIGINT) + 1))
        AS INT) AS year
),
per_person AS (
    SELECT
        person_key,
        stock_by_year_end(issue_year, skill_rank, issue_date, cert_no, region_code,
                          CAST(date_part('year', CAST($as_of AS DATE)) AS INT), until_year) AS year_ends,
        MIN(first_skill_date) AS first_skill_date,
        MIN(first_cert_date) AS first_cert_date
    FROM merged
    GROUP BY person_key
),
stock AS (
    SELECT person_key, unnest(year_ends) AS e, first_skill_date, first_cert_date
    FROM per_person
),
unpacked AS (
    SELECT
        person_key,
        e['year'] AS year,
        e['rank'] AS best_rank,
        e['region_code'] AS region_code,
        e['cert_no'] AS principal_cert_no,
        CASE WHEN CAST(date_part('year', first_skill_date) AS INT) <= e['year'] THEN first_skill_date END
            AS first_skill_date,
        first_cert_date
    FROM stock
)
SELECT
    person_key,
    year,
    CAST(COALESCE(best_rank, 0) AS INT) AS highest_rank,
    CASE COALESCE(best_rank, 0)
        WHEN 1 THEN 'l5' WHEN 2 THEN 'l4' WHEN 3 THEN 'l3' WHEN 4 THEN 'l2' WHEN 5 THEN 'l1'
        WHEN 6 THEN 'special_grade' WHEN 7 THEN 'chief'
    END AS highest_level,
    region_code,
    principal_cert_no,
    best_rank IS NOT NULL AS skilled,
    COALESCE(best_rank, 0) >= 3 AS high_skilled,
    COALESCE(best_rank, 0) >= 2 AS mid_high,
    first_skill_date,
    first_cert_date
FROM unpacked
-- A refallen person's whole history gives year ends before $from_year too: those are taken over, not returned.
WHERE year >= CAST($from_year AS INT)
UNION ALL
SELECT
    b.person_key,
    y.year,
    b.highest_rank,
    b.highest_level,
    b.region_code,
    b.principal_cert_no,
    b.skilled,
    b.high_skilled,
    b.mid_high,
    b.first_skill_date,
    b.first_cert_date
FROM persons_before AS b
CROSS JOIN carried_years AS y
WHERE CAST($from_year AS INT) > 0
  AND NOT EXISTS (SELECT 1 FROM touched AS t WHERE t.person_key = b.person_key)
