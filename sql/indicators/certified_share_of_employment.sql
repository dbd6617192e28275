-- id: certified_share_of_employment
-- title_zh: 持证人员占从业人员比例
-- title_en: Certificate holders as a share of employment
-- unit: share
-- kind: share
-- grain: region_code × year (stock at year end ÷ employed persons); only region-years with an employment figure
-- target: 0.60 (Kaifeng 2025)
-- comparator: >=
-- disclosure: share skilled_persons / public
-- source: 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）
-- clause: 一、（二）目标任务
-- description: Certificate holders the records can show — persons holding a skill certificate at the year end (as
-- description: skilled_persons: principal region; 410000 counts each person once) — ÷ employed persons from the
-- description: employment reference table. On the records this is skilled_share_of_employment's definition, value
-- description: for value; the target differs in its base: 002's 持证人员 (135万 = 60% of employed) also counts
-- description: holders of management, professional-technical, rural and social-work certificates, which are not in
-- description: the warehouse, so the value is a floor of the plan's figure. Training certificates (培训合格证书) make
-- description: nobody a certificate holder here: none of 002's talent kinds, and they carry no region (DESIGN §8).
-- description: Region-years without an employment figure have no row.
WITH skilled AS (
    SELECT region_code, year, COUNT(*) AS persons FROM persons WHERE skilled GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(*) AS persons
    FROM persons WHERE skilled GROUP BY year
)
SELECT
    'certified_share_of_employment' AS indicator_id,
    e.region_code,
    e.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(s.persons, 0) AS DOUBLE) / CAST(NULLIF(e.employed, 0) AS DOUBLE) AS value,
    COALESCE(s.persons, 0) AS numerator,
    e.employed AS denominator
FROM employment AS e
JOIN year_ends AS y ON y.year = e.year
LEFT JOIN skilled AS s ON s.region_code = e.region_code AND s.year = e.year
