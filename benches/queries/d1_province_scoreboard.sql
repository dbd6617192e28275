-- id: d1_province_scoreboard
-- kind: dashboard
-- title_en: The province's headline indicators for 2025 with target, gap and status (the scoreboard's first screen)
SELECT indicator_id, value, target, gap, status
FROM indicator_values
WHERE region_code = '410000' AND year = 2025 AND programme IS NULL AND agency_type IS NULL
ORDER BY indicator_id
