-- id: d2_regions_high_skill_share
-- kind: dashboard
-- title_en: Every region's high-skill share in 2025 against 35%, named, furthest behind first (the regions table)
SELECT v.region_code, r.name_zh, v.value, v.target, v.status
FROM indicator_values AS v
JOIN regions AS r ON r.region_code = v.region_code
WHERE v.indicator_id = 'high_skill_share' AND v.year = 2025
ORDER BY v.value, v.region_code
