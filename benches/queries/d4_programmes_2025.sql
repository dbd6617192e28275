-- id: d4_programmes_2025
-- kind: dashboard
-- title_en: New high-skilled persons per special programme in 2025 against the programme targets
SELECT programme, value, target, gap, status
FROM indicator_values
WHERE indicator_id = 'programme_new_high_skilled' AND year = 2025
ORDER BY programme
