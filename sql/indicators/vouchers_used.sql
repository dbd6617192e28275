-- id: vouchers_used
-- title_zh: 职业培训券使用数量
-- title_en: Training vouchers used
-- unit: vouchers
-- kind: flow
-- grain: region_code × year; a voucher counts once in each region where it was used, 410000 counts each voucher once
-- target: 2022 province 500,000 (累计有效使用50万张以上)
-- comparator: >=
-- disclosure: count vouchers_used
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 一、目标任务
-- description: Distinct voucher numbers on accepted training rows whose class ended in the year (on or before the
-- description: as-of date), by the provider's region. Every accepted row counts, a dropped trainee's included: the
-- description: voucher was presented for the place (DESIGN §16 says accepted rows, not completed ones). Ingestion
-- description: rejects a voucher used again (voucher_reused); should the warehouse still hold one number on two rows,
-- description: it counts once. The target counts vouchers used over the plan's period; the value is per year.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
used AS (
    SELECT DISTINCT voucher_no, region_code, end_year AS year
    FROM training
    WHERE end_date <= CAST($as_of AS DATE) AND voucher_no IS NOT NULL AND voucher_no <> ''
),
counts AS (
    SELECT region_code, year, COUNT(*) AS vouchers FROM used GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(DISTINCT voucher_no) AS vouchers
    FROM used GROUP BY year
)
SELECT
    'vouchers_used' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.vouchers, 0) AS DOUBLE) AS value,
    COALESCE(c.vouchers, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN training_years AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
