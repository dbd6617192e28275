-- id: persons
-- title_zh: 人员年末存量（每人每年末一行）
-- title_en: Persons at each year end (stock)
-- grain: person_key × year, for every year end from the first issue year in the data to the as-of year
-- partition_by: year
-- source: DESIGN §8 (stock, highest level, principal region)
-- description: Stock at the end of `year` uses the certificates issued on or before 31 December of that year (or the
-- description: as-of date for the current year), excluding duplicate claims. Every person with at least one counted
-- description: certificate by then has a row; `skilled` needs a skill certificate (training never counts).
-- description: highest_rank is the maximum level rank over skill certificates (0 none, 1 l5 … 7 chief); region_code is
-- description: the region of the principal certificate: the skill certificate with the highest rank, then the latest
-- description: issue date, then the largest cert_no (null when the person is not skilled).
--
-- Plan: pick each person's best skill certificate per issue year first (one row per person and issue year), then
-- expand to every later year end up to the as-of year and pick the best of those. The best certificate of a set is
-- the best of the per-year bests because the order (rank, issue date, cert_no) is lexicographic, so no certificate
-- is replicated across years.
--
-- "Best" is one string compared with MAX: the level rank (one digit), the issue date (YYYY-MM-DD), the cert_no,
-- then U+0001 and the region code as payload. The fixed-width fields make the string order the order (rank, issue
-- date, cert_no), and U+0001 sorts below every cert_no character, so a cert_no that is a prefix of another still
-- sorts first. MAX keeps one string per group; the ordered first_value aggregates it replaces kept every ordering
-- column per group and ran out of an 8 GiB pool at 10M certificates.
--
-- Year by year: the model returns the year ends from $from_year on. What came before is `persons_before`, this
-- model's rows at the end of $from_year - 1 (from the previous snapshot; empty when the build starts from nothing).
-- A person with no counted certificate from $from_year on keeps that row at every later year end. For the others,
-- the row stands for their best certificate issued before $from_year; its issue date is not stored, so its key
-- carries '0000-00-00' in the date's place: every certificate issued from $from_year on is later, and the order
-- between the two is kept. The build carries the year ends before $from_year over from the previous snapshot.
-- On a build from nothing $from_year is 0 and persons_before empty: `$from_year > 0` then removes both branches that
-- read it at planning, so the per-year bests are not computed again to find who is touched (80 s instead of 55 s
-- for `persons` at 10M certificates without it).
WITH counted AS (
    SELECT
        person_key,
        issue_year,
        issue_date,
        CASE WHEN cert_type IN ('qualification', 'skill_level', 'special_operation', 'special_equipment',
                                'special_competence')
            THEN concat(CAST(level_rank AS VARCHAR), CAST(issue_date AS VARCHAR), cert_no, chr(1), region_code)
        END AS skill_key
    FROM certificates
    WHERE NOT duplicate_claim
      AND issue_date <= CAST($as_of AS DATE)
      AND issue_year >= CAST($from_year AS INT)
),
per_issue_year AS (
    SELECT
        person_key,
        issue_year,
        MIN(issue_date) AS first_cert_date,
        MIN(CASE WHEN skill_key IS NOT NULL THEN issue_date END) AS first_skill_date,
        MAX(skill_key) AS best_key
    FROM counted
    GROUP BY person_key, issue_year
),
-- Persons with a counted certificate from $from_year on: their stock is recomputed, continuing from their row in
-- persons_before. Everyone else keeps that row at every year end from $from_year on (the last SELECT).
touched AS (
    SELECT DISTINCT person_key FROM per_issue_year
),
merged AS (
    SELECT person_key, issue_year, first_cert_date, first_skill_date, best_key FROM per_issue_year
    UNION ALL
    SELECT
        b.person_key,
        CAST($from_year AS INT) AS issue_year,
        b.first_cert_date,
        b.first_skill_date,
        CASE WHEN b.skilled
            THEN concat(CAST(b.highest_rank AS VARCHAR), '0000-00-00', b.principal_cert_no, chr(1), b.region_code)
        END AS best_key
    FROM persons_before AS b
    WHERE CAST($from_year AS INT) > 0
      AND EXISTS (SELECT 1 FROM touched AS t WHERE t.person_key = b.person_key)
),
-- Each per-year best counts at every year end from its issue year to the as-of year. Expanding with a series keeps
-- this an aggregation over an equi-grouping; the range join it replaces (`issue_year <= year`) ran as a nested-loop
-- join whose build side could be the large input (7.8 GB at 1M certificates).
per_issue_year_ends AS (
    SELECT
        merged.*,
        CAST(unnest(range(CAST(issue_year AS BIGINT), CAST(date_part('year', CAST($as_of AS DATE)) AS BIGINT) + 1))
            AS INT) AS year
    FROM merged
),
stock AS (
    SELECT
        person_key,
        year,
        MAX(best_key) AS best_key,
        MIN(first_skill_date) AS first_skill_date,
        MIN(first_cert_date) AS first_cert_date
    FROM per_issue_year_ends
    GROUP BY person_key, year
),
unpacked AS (
    SELECT
        person_key,
        year,
        CAST(substr(best_key, 1, 1) AS INT) AS best_rank,
        NULLIF(split_part(substr(best_key, 12), chr(1), 2), '') AS region_code,
        split_part(substr(best_key, 12), chr(1), 1) AS principal_cert_no,
        first_skill_date,
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
UNION ALL
SELECT
    b.person_key,
    CAST(unnest(range(CAST($from_year AS BIGINT), CAST(date_part('year', CAST($as_of AS DATE)) AS BIGINT) + 1))
        AS INT) AS year,
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
WHERE CAST($from_year AS INT) > 0
  AND NOT EXISTS (SELECT 1 FROM touched AS t WHERE t.person_key = b.person_key)
