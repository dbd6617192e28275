-- id: a4_stock_by_region_2025
-- kind: analyst
-- title_en: Skilled and high-skilled persons per principal region at the end of 2025, from the persons model
SELECT region_code, COUNT(*) AS skilled, SUM(CASE WHEN high_skilled THEN 1 ELSE 0 END) AS high_skilled
FROM persons
WHERE year = 2025 AND skilled
GROUP BY region_code
ORDER BY region_code
