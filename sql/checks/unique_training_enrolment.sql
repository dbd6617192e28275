-- id: unique_training_enrolment
-- title_zh: 培训学员班内唯一
-- title_en: A person is enrolled once in a class
-- description: Every (provider_id, class_id, person_key) appears once among the snapshot's training files: ingestion
-- description: rejects the same person again in one class (duplicate_enrolment, DESIGN §16), and a class's size counts
-- description: its rows. Returns each repeated enrolment with how many rows it has.
SELECT provider_id, class_id, person_key, COUNT(*) AS copies
FROM training
GROUP BY provider_id, class_id, person_key
HAVING COUNT(*) > 1
