-- id: training_classes
-- title_zh: 培训班（每班一行）及合规标记
-- title_en: Training classes, one row per class, with the compliance flags
-- grain: provider_id × class_id (a class is the accepted rows sharing provider and class number)
-- source: DESIGN §16 (class compliance); 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》 二、（四）
-- description: A class is the accepted training rows (dropped trainees included) sharing provider_id and class_id,
-- description: among the rows whose end date is on or before the as-of date. Its size is their count; its
-- description: hours_total, hours_practical and end_date are the largest of its rows'; its satisfaction is the
-- description: smallest present (null when no row has one). It is flagged, not rejected, when it breaks a rule:
-- description: oversize (size > 80), practical_short (practical hours under 60% of the total; exactly 60% is fine),
-- description: unsatisfied (satisfaction under 85; no satisfaction is not flagged), short_certificate_course (a row of
-- description: kind other without an occupation, in a class of under 40 hours); flagged is any of the four.
--
-- Choices where DESIGN §16 is silent:
-- - start_date is the earliest of the rows' start dates (DESIGN defines only the end date): the class's span then
--   covers every row's, and 持证率 measures a certificate from the class's start (training_certification_rate).
-- - year is the year of the class's end date: noncompliant_classes counts a class there, and 持证率 counts a trainee
--   in the year their class ended.
-- - region_code and provider_type are the smallest of the rows' (one provider has one region and type; should a
--   registry change between two loads give a class's rows two, the class still has one row).
-- - short_certificate_course, for a class mixing kinds: flagged when ANY of its rows is kind `other` without an
--   occupation and the class's hours_total is under 40. The flag is an alert to review, and a class that holds such
--   trainees is, for them, a short course without an occupation; requiring every row to be one would let a single
--   row of another kind hide it. The rule's hours are the class's (the largest of its rows').
-- - practical_short compares whole numbers, 10 × practical < 6 × total, so exactly 60% is never flagged by rounding.
WITH classes AS (
    SELECT
        provider_id,
        class_id,
        MIN(region_code) AS region_code,
        MIN(provider_type) AS provider_type,
        MIN(start_date) AS start_date,
        MAX(end_date) AS end_date,
        COUNT(*) AS size,
        SUM(CASE WHEN result IN ('passed', 'failed') THEN 1 ELSE 0 END) AS completed,
        MAX(hours_total) AS hours_total,
        MAX(hours_practical) AS hours_practical,
        MIN(satisfaction) AS satisfaction,
        SUM(CASE WHEN training_kind = 'other' AND occupation_code IS NULL THEN 1 ELSE 0 END) AS other_without_occupation
    FROM training
    WHERE end_date <= CAST($as_of AS DATE)
    GROUP BY provider_id, class_id
),
flags AS (
    SELECT
        provider_id,
        class_id,
        region_code,
        provider_type,
        CAST(date_part('year', end_date) AS INT) AS year,
        start_date,
        end_date,
        size,
        completed,
        hours_total,
        hours_practical,
        satisfaction,
        size > 80 AS oversize,
        CAST(hours_practical AS BIGINT) * 10 < CAST(hours_total AS BIGINT) * 6 AS practical_short,
        COALESCE(satisfaction < 85, false) AS unsatisfied,
        other_without_occupation > 0 AND hours_total < 40 AS short_certificate_course
    FROM classes
)
SELECT
    *,
    oversize OR practical_short OR unsatisfied OR short_certificate_course AS flagged
FROM flags
