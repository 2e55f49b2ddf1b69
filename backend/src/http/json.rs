//! The API's JSON body extractor: `web::Json`, except that only a JSON object is a request
//! body. serde's derived structs also accept an array of their fields in order, which no
//! client means and the OpenAPI document does not allow; such a body must be refused, not
//! acted on.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The size limit, the content type and their problems stay `web::Json`'s.
        let value = web::Json::<serde_json::Value>::from_request(request, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::BadRequest("the body must be a JSON object".into()).into());
            }
            serde_json::from_value(value).map(Json).map_err(|error| {
                ApiError::BadRequest(format!("the JSON body cannot be read: {error}")).into()
            })
        })
    }
}
