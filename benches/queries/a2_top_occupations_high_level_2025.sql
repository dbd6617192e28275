-- id: a2_top_occupations_high_level_2025
-- kind: analyst
-- title_en: The ten occupations with the most certificates at 高级工 (l3) or above issued in 2025, named
SELECT c.occupation_code, o.name_zh, COUNT(*) AS certificates
FROM certificates AS c
JOIN occupations AS o ON o.occupation_code = c.occupation_code
WHERE c.issue_year = 2025 AND c.level_rank >= 3 AND NOT c.duplicate_claim
GROUP BY c.occupation_code, o.name_zh
ORDER BY certificates DESC, c.occupation_code
LIMIT 10
