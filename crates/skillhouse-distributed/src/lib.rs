//! The SkillHouse build on Apache DataFusion Ballista (issue 25).
