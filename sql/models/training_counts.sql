-- id: training_counts
-- title_zh: 培训人次汇总
-- title_en: Training 人次 counted by year, region, provider type, programme, kind, subsidy, organiser and result
-- grain: year × region_code × provider_type × programme × training_kind × subsidised × organiser × result
-- source: DESIGN §16 (the 人次 indicators: training_persons, subsidised_training, youth_league_training)
-- description: Every accepted training row (one trainee in one class, one 人次) whose class ended on or before the
-- description: as-of date, counted in the year of its end_date (the end_year partition) and in its provider's region,
-- description: so the 人次 indicators read a small cube instead of the training rows. Dropped trainees are included
-- description: (result = 'dropped'); the indicators count completed rows, result passed or failed.
SELECT
    end_year AS year,
    region_code,
    provider_type,
    programme,
    training_kind,
    subsidised,
    organiser,
    result,
    COUNT(*) AS person_times
FROM training
WHERE end_date <= CAST($as_of AS DATE)
GROUP BY end_year, region_code, provider_type, programme, training_kind, subsidised, organiser, result
