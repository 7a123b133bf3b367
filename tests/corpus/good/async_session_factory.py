"""Audit rows written through sessionmaker(class_=AsyncSession): every database call awaited."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

engine = create_async_engine("postgresql+asyncpg://audit@db/audit", pool_pre_ping=True)
SessionLocal = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def write_audit(event_id: str, action: str) -> None:
    async with SessionLocal() as session:
        await session.execute(
            text("INSERT INTO audit (event_id, action, at) VALUES (:id, :action, :at)"),
            {"id": event_id, "action": action, "at": datetime.now(UTC)},
        )
        await session.commit()
