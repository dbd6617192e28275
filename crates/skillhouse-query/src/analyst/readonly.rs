//! Read-only views of a session's catalogue: the per-statement sessions of analyst SQL see the snapshot's tables
//! through these wrappers, which refuse to register or drop catalogues, schemas or tables. A second wall behind the
//! guard ([`crate::guard`]): should a statement slip past it, it still cannot change what other sessions see.

use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result, exec_err, not_impl_err};
use datafusion::datasource::TableType;
use std::sync::Arc;

/// A catalogue list that lends out read-only catalogues and registers nothing.
#[derive(Debug)]
pub struct ReadOnlyCatalogList {
    inner: Arc<dyn CatalogProviderList>,
}

impl ReadOnlyCatalogList {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn CatalogProviderList>) -> Self {
        Self { inner }
    }
}

impl CatalogProviderList for ReadOnlyCatalogList {
    fn register_catalog(&self, name: String, _catalog: Arc<dyn CatalogProvider>) -> Option<Arc<dyn CatalogProvider>> {
        // The trait gives no way to fail; keep the catalogue unchanged and log the attempt.
        tracing::warn!(catalog = %name, "refused to register a catalogue on a read-only session");
        None
    }

    fn catalog_names(&self) -> Vec<String> {
        self.inner.catalog_names()
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        self.inner.catalog(name).map(|c| Arc::new(ReadOnlyCatalog { inner: c }) as Arc<dyn CatalogProvider>)
    }
}

#[derive(Debug)]
struct ReadOnlyCatalog {
    inner: Arc<dyn CatalogProvider>,
}

impl CatalogProvider for ReadOnlyCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.inner.schema_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        self.inner.schema(name).map(|s| Arc::new(ReadOnlySchema { inner: s }) as Arc<dyn SchemaProvider>)
    }

    fn register_schema(&self, name: &str, _schema: Arc<dyn SchemaProvider>) -> Result<Option<Arc<dyn SchemaProvider>>> {
        not_impl_err!("cannot create schema `{name}`: SkillHouse SQL is read-only")
    }

    fn deregister_schema(&self, name: &str, _cascade: bool) -> Result<Option<Arc<dyn SchemaProvider>>> {
        not_impl_err!("cannot drop schema `{name}`: SkillHouse SQL is read-only")
    }
}

#[derive(Debug)]
struct ReadOnlySchema {
    inner: Arc<dyn SchemaProvider>,
}

#[async_trait::async_trait]
impl SchemaProvider for ReadOnlySchema {
    fn owner_name(&self) -> Option<&str> {
        self.inner.owner_name()
    }

    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        self.inner.table(name).await
    }

    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        self.inner.table_type(name).await
    }

    fn register_table(&self, name: String, _table: Arc<dyn TableProvider>) -> Result<Option<Arc<dyn TableProvider>>> {
        exec_err!("cannot create table `{name}`: SkillHouse SQL is read-only")
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        exec_err!("cannot drop table `{name}`: SkillHouse SQL is read-only")
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn tables_can_be_read_but_not_created_or_dropped() {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE t AS SELECT 1 AS a").await.expect("plan").collect().await.expect("create");
        let list = ReadOnlyCatalogList::new(Arc::clone(ctx.state().catalog_list()));
        let schema = list.catalog("datafusion").and_then(|c| c.schema("public")).expect("default schema");
        assert!(schema.table_exist("t"));
        assert!(schema.table("t").await.expect("lookup").is_some());
        let table = schema.table("t").await.expect("lookup").expect("t exists");
        let error = schema.register_table("u".into(), table).expect_err("read-only");
        assert!(error.to_string().contains("read-only"), "{error}");
        assert!(schema.deregister_table("t").is_err());
        assert!(ctx.table_exist("t").expect("lookup"), "t is still there");
        let catalog = list.catalog("datafusion").expect("catalog");
        assert!(catalog.deregister_schema("public", true).is_err());
        assert!(list.register_catalog("other".into(), catalog).is_none());
        assert_eq!(list.catalog_names(), vec!["datafusion".to_string()]);
    }
}
