-- id: d3_trend_new_high_skilled
-- kind: dashboard
-- title_en: New high-skilled persons in the province, year by year, with targets (a trend chart)
SELECT year, value, target
FROM indicator_values
WHERE indicator_id = 'new_high_skilled' AND region_code = '410000' AND programme IS NULL
ORDER BY year
