-- id: cert_mix_share
-- title_zh: 专项职业能力证书和培训合格证书占发证总量比例
-- title_en: Share of special-competence and training certificates among certificates issued
-- unit: share
-- kind: share
-- grain: region_code × year (certificates issued in the year, by issuing region; 410000 = all)
-- target: 0.10 (2022 province)
-- comparator: <=
-- disclosure: share mixed_certificates / issued_certificates
-- headline: 5
-- short_title_zh: 证书结构占比
-- short_title_en: Certificate mix (competence+training)
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 二、（四）19
-- description: (special_competence + training certificates) ÷ all certificates issued in the year, counting
-- description: certificates (not persons), duplicate claims excluded.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counted AS (
    SELECT region_code, year, cert_type, certificates FROM certificate_counts WHERE NOT duplicate_claim
),
counts AS (
    SELECT region_code, year,
        SUM(CASE WHEN cert_type IN ('special_competence', 'training') THEN certificates ELSE 0 END) AS numerator,
        SUM(certificates) AS denominator
    FROM counted GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year,
        SUM(CASE WHEN cert_type IN ('special_competence', 'training') THEN certificates ELSE 0 END) AS numerator,
        SUM(certificates) AS denominator
    FROM counted GROUP BY year
)
SELECT
    'cert_mix_share' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(c.numerator AS DOUBLE) / CAST(NULLIF(c.denominator, 0) AS DOUBLE) AS value,
    COALESCE(c.numerator, 0) AS numerator,
    COALESCE(c.denominator, 0) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
