"""An actor counting in instance attributes, beside one that keeps its count in state."""

from dapr.actor import Actor


class VisitCounter(Actor):
    def __init__(self, ctx, actor_id) -> None:
        super().__init__(ctx, actor_id)
        self.visits = 0  # expect: DAPR043

    async def visit(self) -> int:
        self.visits += 1
        return self.visits


class DurableCounter(Actor):
    async def visit(self) -> int:
        _, visits = await self._state_manager.try_get_state("visits")
        visits = (visits or 0) + 1
        await self._state_manager.set_state("visits", visits)
        await self._state_manager.save_state()
        return visits
